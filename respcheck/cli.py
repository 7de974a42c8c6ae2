"""The `respcheck` command: run the reference gateway, list its fault switches, compare two runs.

    respcheck serve [--host 127.0.0.1] [--port 8765] [--api-key KEY]... [--fault NAME]...
    respcheck faults [--json]
    respcheck diff BASELINE CURRENT [--format markdown|text] [--output FILE] [--fail-on regression|any|never]
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

    commands.add_parser("rules", help="list every rule a failure can name, with what it checks")

    diff = commands.add_parser("diff", help="compare a run's results.json with a baseline run's")
    diff.add_argument("baseline", help="the baseline run's results.json (or the directory holding it)")
    diff.add_argument("current", help="the current run's results.json (or the directory holding it)")
    diff.add_argument("--format", choices=("markdown", "text"), default="markdown",
                      help="Markdown for a CI job summary (default) or compact text")
    diff.add_argument("--output", metavar="FILE", help="write the report to FILE instead of printing it")
    diff.add_argument("--fail-on", choices=("regression", "any", "never"), default="regression",
                      help="exit 1 on new failures (default), on any failure in CURRENT, or never")
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


def _diff(args: argparse.Namespace) -> int:
    from .report.diff import diff_runs, load_results, render_markdown, render_text

    try:
        baseline, current = load_results(args.baseline), load_results(args.current)
    except ValueError as exc:
        print(f"respcheck: {exc}", file=sys.stderr)
        return 2
    diff = diff_runs(baseline, current)
    report = render_markdown(diff) if args.format == "markdown" else "\n".join(render_text(diff)) + "\n"
    if args.output:
        try:
            with open(args.output, "w", encoding="utf-8") as out:
                out.write(report)
        except OSError as exc:
            print(f"respcheck: cannot write {args.output}: {exc.strerror or exc}", file=sys.stderr)
            return 2
        print(diff.summary_line())
    else:
        print(report, end="")
    if args.fail_on == "regression":
        return 1 if diff.has_regressions else 0
    if args.fail_on == "any":
        return 1 if diff.current_failures else 0
    return 0


def _list_rules() -> int:
    from .checks import RULES
    from .stream import RULES as STREAM_RULES

    rules = {**RULES, **STREAM_RULES, "models.endpoints": "(--discover) a model serves the endpoints its directory "
                                                          "entry claims",
             "models.capabilities": "(--discover) a model does what its directory entry claims"}
    width = max(map(len, rules))
    for name in sorted(rules):
        print(f"{name:<{width}}  {rules[name]}")
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
    if args.command == "diff":
        return _diff(args)
    if args.command == "rules":
        return _list_rules()
    parser.print_help(sys.stderr)
    return 2
