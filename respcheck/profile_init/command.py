"""The `respcheck profile init` command line: arguments in, a profile file
(or standard output) out, problems as one line each."""

from __future__ import annotations

import os
import sys

from . import init_profile, profile_name


def _models(pairs: list[str]) -> dict[str, str] | str:
    models = {}
    for pair in pairs:
        role, sep, model_id = pair.partition("=")
        if not sep or not role.strip() or not model_id.strip():
            return f"--model {pair!r}: expected ROLE=ID, e.g. --model text=gpt-4o-mini"
        models[role.strip()] = model_id.strip()
    return models


def run_init(args) -> int:
    models = _models(args.model)
    if isinstance(models, str):
        print(f"respcheck: {models}", file=sys.stderr)
        return 2
    if not args.base_url.startswith(("http://", "https://")):
        print(f"respcheck: --base-url {args.base_url!r}: expected an http:// or https:// URL", file=sys.stderr)
        return 2
    for flag, value in (("--request-timeout", args.request_timeout), ("--rate-limit", args.rate_limit)):
        if not value > 0:
            print(f"respcheck: {flag} must be more than 0, got {value:g}", file=sys.stderr)
            return 2
    api_key = args.api_key or os.environ.get("RESPCHECK_API_KEY")
    result = init_profile(args.base_url, api_key, models, timeout=args.request_timeout,
                          rate_limit=args.rate_limit, name=profile_name(args.output))
    if result.unreachable:
        print(f"respcheck: cannot reach the target at {args.base_url}: {result.unreachable}", file=sys.stderr)
        return 1
    if result.problems:  # a defect of the writer: say it, and do not leave a profile that --profile refuses
        for problem in result.problems:
            print(f"respcheck: profile init wrote a profile that does not load: {problem}", file=sys.stderr)
        return 1
    if args.output:
        try:
            with open(args.output, "w", encoding="utf-8") as out:
                out.write(result.text)
        except OSError as exc:
            print(f"respcheck: cannot write {args.output}: {exc.strerror or exc}", file=sys.stderr)
            return 2
        print(f"respcheck: wrote {args.output} from {result.requests} requests to {args.base_url.rstrip('/')}; "
              f"run it with: pytest cases --base-url {args.base_url.rstrip('/')} --profile {args.output}",
              file=sys.stderr)
    else:
        sys.stdout.write(result.text)
    return 0
