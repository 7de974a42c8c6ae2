"""`service_tier`: the tiers the reference gateway offers, and the one a Response reports.

A Response names the tier that actually served it: `auto` (or nothing) is
served at `default`; `default`, `flex` and `priority` are served as asked. The
SDK's other tiers (scale, fast, ultrafast) are refused with 400, as a gateway
refuses a tier its account does not have.
"""

from __future__ import annotations

from .errors import invalid

SDK_TIERS = ("auto", "default", "flex", "scale", "priority", "fast", "ultrafast")
OFFERED = ("default", "flex", "priority")
AUTO_SERVES = "default"


def validate(body: dict) -> None:
    tier = body.get("service_tier")
    if tier is None:
        return
    if tier not in SDK_TIERS:
        raise invalid("invalid_parameter_value", f"service_tier must be one of {', '.join(SDK_TIERS)}.",
                      "service_tier")
    if tier != "auto" and tier not in OFFERED:
        raise invalid("invalid_parameter_value", f"service_tier {tier!r} is not offered; use auto or one of "
                                                 f"{', '.join(OFFERED)}.", "service_tier")


def used(body: dict, faults: frozenset[str]) -> str:
    """The tier the Response reports."""
    tier = body.get("service_tier")
    if tier == "auto" and "service_tier_auto_echoed" in faults:
        return "auto"  # the fault: the request's word, not the tier that served
    if tier in (None, "auto") or "service_tier_ignored" in faults:
        return AUTO_SERVES
    return tier
