"""The embedded reference gateway: a deterministic fake of an Auriko-like Responses API gateway.

It is the target when no base URL is given, and its fault switches (see `FAULTS`)
each break one rule of the contract so the suite can prove every check can fail.
"""

from .app import DEFAULT_API_KEY, create_app
from .faults import FAULTS, Fault, validate_faults
from .server import ReferenceServer

__all__ = ["DEFAULT_API_KEY", "FAULTS", "Fault", "ReferenceServer", "create_app", "validate_faults"]
