"""Which real clients a run judges with (--clients), and how each is made.

`auto` takes every client that can run here: the Python SDKs that are
installed (the `respcheck[clients]` extra) and the Node one when `node` is on
PATH; each that cannot run is one line of the run's header, never a failure.
Naming a client that cannot run stops the run with one line."""

from __future__ import annotations

PYTHON_CLIENTS = ("openai-python", "auriko-python")
NODE_CLIENT = "openai-node"
KNOWN = PYTHON_CLIENTS + (NODE_CLIENT,)
_INSTALL = "pip install 'respcheck[clients]'"


class ClientsError(ValueError):
    pass


def unavailable(name: str) -> str | None:
    """Why a client cannot run here (one line), or None when it can."""
    if name == "openai-python":
        from . import python_openai

        return None if python_openai.installed() else f"not installed (the openai package; {_INSTALL})"
    if name == "auriko-python":
        from . import python_auriko

        return None if python_auriko.installed() else f"not installed (the auriko package; {_INSTALL})"
    if name == NODE_CLIENT:
        node = node_module()
        if node is None:
            return "not run (this respcheck has no Node client module)"
        reason = node.unavailable_reason()
        return None if reason is None else f"not run ({reason})"
    return "unknown"


def node_module():
    try:
        from . import node
    except ImportError:
        return None
    return node


def select(spec: str, profile_clients: tuple = (), profile_name: str = "") -> tuple[tuple, tuple]:
    """--clients LIST -> (the clients to judge with, one line per client left out). With `auto`, a profile's
    `settings.clients` (the clients its target's users use) narrows the choice; each client it leaves out is
    one line too, so a reader sees who did not judge and why."""
    spec = spec.strip()
    if spec == "none":
        return (), ()
    if spec == "auto":
        chosen, left_out = [], []
        for name in KNOWN:
            if profile_clients and name not in profile_clients:
                left_out.append(f"{name}: not judged (profile {profile_name} lists the clients its users use: "
                                f"{', '.join(profile_clients)})")
                continue
            reason = unavailable(name)
            if reason is None:
                chosen.append(name)
            else:
                left_out.append(f"{name}: {reason}")
        return tuple(chosen), tuple(left_out)
    names = [n.strip() for n in spec.split(",") if n.strip()]
    if not names:
        raise ClientsError("--clients needs auto, none or client names, e.g. openai-python,openai-node")
    for name in names:
        if name not in KNOWN:
            raise ClientsError(f"--clients: unknown client {name!r} (known: {', '.join(KNOWN)}; or auto, none)")
        reason = unavailable(name)
        if reason is not None:
            raise ClientsError(f"--clients {name}: {reason}")
    return tuple(dict.fromkeys(names)), ()


def make_views(name: str):
    """A views object for the client: `.version`, `.view(replay)`, `.close()`."""
    if name == "openai-python":
        from .python_openai import OpenAIPythonViews

        return OpenAIPythonViews()
    if name == "auriko-python":
        from .python_auriko import AurikoPythonViews

        return AurikoPythonViews()
    if name == NODE_CLIENT:
        return node_module().NodeViews()
    raise ClientsError(f"unknown client {name!r}")
