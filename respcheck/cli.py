"""The `respcheck` command: run the reference gateway, list its fault switches.

    respcheck serve [--host 127.0.0.1] [--port 8765] [--api-key KEY]... [--fault NAME]...
    respcheck faults [--json]
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import sys

from .reference.faults import FAULTS, validate_faults

DEFAULT_PORT = 8765


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="respcheck", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    serve = commands.add_parser("serve", help="run the embedded reference gateway in the foreground")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=DEFAULT_PORT)
    serve.add_argument("--api-key", action="append", dest="api_keys", metavar="KEY",
                       help="accepted API key (repeatable; default rc-local-key)")
    serve.add_argument("--fault", action="append", dest="faults", default=[], metavar="NAME",
                       help="turn on a fault switch (repeatable; see `respcheck faults`)")
    serve.add_argument("--allow-remote", action="store_true",
                       help="allow binding a non-loopback host (the gateway has no real security)")

    faults = commands.add_parser("faults", help="list the reference gateway's fault switches")
    faults.add_argument("--json", action="store_true", help="print JSON instead of a table")
    return parser


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _serve(args: argparse.Namespace) -> int:
    try:
        faults = validate_faults(args.faults)
    except ValueError as exc:
        print(f"respcheck: {exc}", file=sys.stderr)
        return 2
    if not _is_loopback(args.host) and not args.allow_remote:
        print(f"respcheck: refusing to serve on non-loopback host {args.host!r}; "
              "pass --allow-remote if you mean it", file=sys.stderr)
        return 2

    import uvicorn  # imported here so `respcheck faults` stays fast

    from .reference.app import DEFAULT_API_KEY, create_app

    app = create_app(args.api_keys or [DEFAULT_API_KEY], faults)
    active = ", ".join(sorted(faults)) or "none"
    url_host = f"[{args.host}]" if ":" in args.host else args.host  # IPv6 literal
    print(f"respcheck reference gateway at http://{url_host}:{args.port}/v1 (faults: {active})", flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", access_log=False, lifespan="off")
    return 0


def _list_faults(args: argparse.Namespace) -> int:
    faults = sorted(FAULTS.values(), key=lambda f: f.name)
    if args.json:
        rows = [{"name": f.name, "rule": f.rule, "area": f.area, "description": f.description} for f in faults]
        print(json.dumps(rows, indent=2))
        return 0
    name_width = max(len("name"), *(len(f.name) for f in faults))
    rule_width = max(len("rule"), *(len(f.rule) for f in faults))
    print(f"{'name':<{name_width}}  {'rule':<{rule_width}}  description")
    for f in faults:
        print(f"{f.name:<{name_width}}  {f.rule:<{rule_width}}  {f.description}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help or a usage error; report it as a return code
        return exc.code if isinstance(exc.code, int) else 2
    if args.command == "serve":
        return _serve(args)
    if args.command == "faults":
        return _list_faults(args)
    parser.print_help(sys.stderr)
    return 2
