"""The `respcheck` command: run the reference gateway, list its fault switches, compare two runs.

    respcheck serve [--host 127.0.0.1] [--port 8765] [--api-key KEY]... [--fault NAME]... [--stateful]
    respcheck faults [--json]
    respcheck clients
    respcheck rules
    respcheck lint [PATHS]...
    respcheck profile init --base-url URL [--api-key KEY] [--model ROLE=ID]... [-o FILE]
    respcheck diff BASELINE CURRENT [--format markdown|text] [--output FILE] [--fail-on regression|any|never]
    respcheck profile show NAME|PATH
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import socket
import sys

from .reference.faults import FAULTS, validate_faults

DEFAULT_PORT = 8765


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="respcheck", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    serve = commands.add_parser("serve", help="run the embedded reference gateway in the foreground")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=_port, default=DEFAULT_PORT,
                       help=f"TCP port (default {DEFAULT_PORT}; 0: any free one)")
    serve.add_argument("--api-key", action="append", dest="api_keys", metavar="KEY",
                       help="accepted API key (repeatable; default rc-local-key)")
    serve.add_argument("--fault", action="append", dest="faults", default=[], metavar="NAME",
                       help="turn on a fault switch (repeatable; see `respcheck faults`)")
    serve.add_argument("--models", type=int, default=0, metavar="N",
                       help="list at least N models (more text models, for scale runs of --discover)")
    serve.add_argument("--stateful", action="store_true",
                       help="serve the stored-response API (store, previous_response_id, background, GET/DELETE "
                            "/responses/{id}, conversations, ...) instead of refusing state with 400; "
                            "profile reference-stateful")
    serve.add_argument("--allow-remote", action="store_true",
                       help="allow binding a non-loopback host (the gateway has no real security)")

    faults = commands.add_parser("faults", help="list the reference gateway's fault switches")
    faults.add_argument("--json", action="store_true", help="print JSON instead of a table")

    commands.add_parser("clients", help="list the real clients a run can judge answers with (--clients) "
                                        "and whether each can run here")
    commands.add_parser("rules", help="list every rule a failure can name, with what it checks")

    lint = commands.add_parser("lint", help="load every case file and profile under PATHS; one line per problem, "
                                            "exit 1 on any")
    lint.add_argument("paths", nargs="*", metavar="PATH",
                      help="files or folders (default: cases/ and suites/profiles/); YAML under a cases/ folder "
                           "is a case file, any other a profile")

    profile = commands.add_parser("profile", help="work with target profiles (see `respcheck profile -h`)")
    profile_commands = profile.add_subparsers(dest="profile_command", metavar="SUBCOMMAND")
    init = profile_commands.add_parser("init", help="probe a target (at most 40 requests) and write a commented "
                                                    "profile from what it answered")
    init.add_argument("--base-url", required=True, metavar="URL", help="the target, e.g. https://gw.example/v1 "
                                                                      "or its origin")
    init.add_argument("--api-key", metavar="KEY", default=None,
                      help="bearer key (default: $RESPCHECK_API_KEY); never written or printed")
    init.add_argument("--model", action="append", default=[], metavar="ROLE=ID",
                      help="the model for a role (repeatable); other roles are picked from the listing")
    init.add_argument("-o", "--output", metavar="FILE", help="write the profile to FILE (default: print it)")
    init.add_argument("--request-timeout", type=float, default=30.0, metavar="S",
                      help="seconds one probe may take (default 30)")
    init.add_argument("--rate-limit", type=float, default=5.0, metavar="R",
                      help="at most R requests per second (default 5)")

    diff = commands.add_parser("diff", help="compare a run's results.json with a baseline run's")
    diff.add_argument("baseline", help="the baseline run's results.json (or the directory holding it)")
    diff.add_argument("current", help="the current run's results.json (or the directory holding it)")
    diff.add_argument("--format", choices=("markdown", "text"), default="markdown",
                      help="Markdown for a CI job summary (default) or compact text")
    diff.add_argument("--output", metavar="FILE", help="write the report to FILE instead of printing it")
    diff.add_argument("--fail-on", choices=("regression", "any", "never"), default="regression",
                      help="exit 1 on new failures (default), on any failure in CURRENT, or never")
    show = profile_commands.add_parser("show", help="print the resolved profile (its `extends:` parents merged in), "
                                                    "each value with the file:line it came from")
    show.add_argument("profile", metavar="NAME|PATH", help="a profile name (suites/profiles/NAME.yaml) or a file")
    return parser


def _profile_show(args: argparse.Namespace) -> int:
    from .model.profile import ProfileError, load_profile
    from .model.profile_show import render

    try:
        profile = load_profile(args.profile)
    except ProfileError as exc:
        print(f"respcheck: profile: {exc}", file=sys.stderr)
        return 2
    print(render(profile), end="")
    return 0


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port {port} is out of range (0-65535)")
    return port


def _bind(host: str, port: int) -> socket.socket:
    """The listening socket, bound before the banner so that a busy port is
    said as such (uvicorn would log it after we claimed to serve)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        if os.name != "nt":
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # a restart after a stop, not a second server
        sock.bind(address)
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    return sock


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

    try:
        sock = _bind(args.host, args.port)
    except OSError as exc:
        reason = "the port is in use" if getattr(exc, "errno", None) in (98, 48, 10048) else (exc.strerror or str(exc))
        print(f"respcheck: cannot serve on {args.host}:{args.port}: {reason}", file=sys.stderr)
        return 1
    if args.models:
        from .reference import catalog

        catalog.list_at_least(args.models)
    app = create_app(args.api_keys or [DEFAULT_API_KEY], faults, stateful=args.stateful)
    active = ", ".join(sorted(faults)) or "none"
    mode = "stateful " if args.stateful else ""
    port = sock.getsockname()[1]
    url_host = f"[{args.host}]" if ":" in args.host else args.host  # IPv6 literal
    # The default key is public (it is in the README); keys given on the command line are not repeated.
    key = f"key {DEFAULT_API_KEY}" if not args.api_keys else f"the {len(args.api_keys)} key(s) given with --api-key"
    print(f"respcheck {mode}reference gateway at http://{url_host}:{port}/v1 ({key}; faults: {active})", flush=True)
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
    try:
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        sock.close()
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


def _list_clients() -> int:
    from .clients.registry import KNOWN, unavailable

    for name in KNOWN:
        reason = unavailable(name)
        print(f"{name:<15} {'available' if reason is None else reason}")
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


def _run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    if args.command == "serve":
        return _serve(args)
    if args.command == "faults":
        return _list_faults(args)
    if args.command == "diff":
        return _diff(args)
    if args.command == "profile" and getattr(args, "profile_command", None) == "init":
        from .profile_init.command import run_init

        return run_init(args)
    if args.command == "clients":
        return _list_clients()
    if args.command == "rules":
        return _list_rules()
    if args.command == "profile" and args.profile_command == "show":
        return _profile_show(args)
    if args.command == "lint":
        from .lint import lint

        return lint(args.paths, out=print, err=lambda line: print(line, file=sys.stderr))
    parser.print_help(sys.stderr)
    return 2


def _quiet_stdout() -> None:
    """The reader went away (`respcheck faults | head -3`): drop what is left,
    so the interpreter's own flush at exit does not raise again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):  # stdout without a file descriptor (captured)
        pass


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help or a usage error; report it as a return code
        return exc.code if isinstance(exc.code, int) else 2
    try:
        code = _run(args, parser)
        sys.stdout.flush()
        return code
    except BrokenPipeError:
        _quiet_stdout()
        return 0
