"""Command-line options, their environment variables, and how they combine
with the profile into the settings of one run."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from dataclasses import dataclass, field

import pytest

from .model import catalogue
from .option_checks import (OptionError, not_negative, parse_headers, positive, readable_baseline,
                            writable_dir)
from .model.profile import Profile, ProfileError, available_profiles, load_profile
from .model.profile_check import check_profile

DEFAULT_TIMEOUT = 30.0
DEFAULT_MAX_STREAM_BYTES = 64 * 1024 * 1024


def add_options(parser: pytest.Parser) -> None:
    group = parser.getgroup("respcheck", "respcheck: Responses API gateway conformance")
    group.addoption("--base-url", metavar="URL", default=None,
                    help="Target base URL ending in /v1 (env RESPCHECK_BASE_URL). "
                         "Without one, the embedded reference gateway is started on 127.0.0.1.")
    group.addoption("--api-key", metavar="KEY", default=None,
                    help="API key sent as a bearer token (env RESPCHECK_API_KEY, or the profile's api_key_env). "
                         "Never printed.")
    group.addoption("--profile", metavar="NAME|PATH", default=None,
                    help="Target profile: a name under suites/profiles/ or a YAML file (env RESPCHECK_PROFILE). "
                         "Default: reference (the embedded gateway).")
    group.addoption("--header", metavar="K:V", action="append", default=[],
                    help="Extra header for every request; repeatable.")
    group.addoption("--request-timeout", metavar="S", type=float, default=None,
                    help=f"Seconds one request may take in all (env RESPCHECK_REQUEST_TIMEOUT; default: the "
                         f"profile's, else {DEFAULT_TIMEOUT:g}).")
    group.addoption("--model", metavar="ROLE=ID", action="append", default=[],
                    help="Use model ID for ROLE instead of the profile's; repeatable.")
    group.addoption("--max-body-bytes", metavar="N", type=int, default=8 * 1024 * 1024,
                    help="Stop reading an answer past this size and fail the case (default 8 MiB).")
    group.addoption("--stream-idle-timeout", metavar="S", type=float, default=30.0,
                    help="Fail a stream (rule stream.stall) when no byte arrives for S seconds (default 30).")
    group.addoption("--stream-timeout", metavar="S", type=float, default=300.0,
                    help="Stop reading a stream after S seconds in all (rule stream.too_long; default 300).")
    group.addoption("--max-stream-events", metavar="N", type=int, default=200_000,
                    help="Stop reading a stream after N events (rule stream.too_long; default 200000).")
    group.addoption("--max-stream-bytes", metavar="N", type=int, default=DEFAULT_MAX_STREAM_BYTES,
                    help="Stop reading a stream after N bytes in all and fail the case (default 64 MiB).")
    group.addoption("--max-transport-failures", metavar="K", type=int, default=3,
                    help="After K consecutive transport failures (no answer at all) the remaining cases fail "
                         "fast, naming the case after which the target stopped answering (default 3; 0: never).")
    group.addoption("--reference-fault", metavar="NAME", action="append", default=[],
                    help="Start the embedded reference gateway with this fault switch on; repeatable "
                         "(`respcheck faults` lists them). Used to prove that checks fail.")
    group.addoption("--discover", action="store_true", default=False,
                    help="Onboarding mode: read the target's model directory and run the onboarding cases "
                         "against every model by what the directory claims (a model x feature matrix).")
    group.addoption("--discover-models", metavar="ID,ID", default=None,
                    help="With --discover: only these models of the directory.")
    group.addoption("--rate-limit", metavar="N", type=float, default=None,
                    help="At most N requests per second (per pytest process), so a real gateway is not flooded.")
    group.addoption("--concurrency", metavar="N", type=int, default=None,
                    help="At most N requests in flight to the target across all pytest-xdist workers (-n).")
    group.addoption("--retry-after-budget", metavar="S", type=float, default=60.0,
                    help="Seconds a run may spend waiting out 429 answers' Retry-After before retrying (default 60).")
    group.addoption("--record", metavar="DIR", default=None,
                    help="Store every exchange of the run (requests and raw answers, keys masked) under DIR.")
    group.addoption("--replay", metavar="DIR", default=None,
                    help="Answer every request from a --record recording: the checks run again offline.")
    group.addoption("--report-dir", metavar="DIR", default="reports",
                    help="Where run reports are written: results.json, feature-support.json, matrix.md/.html, "
                         "diff.md, transcripts/ of failed cases (default reports/; '' for none).")
    group.addoption("--baseline", metavar="PATH", default=None,
                    help="A previous run's results.json: print and write (diff.md) what changed since.")
    group.addoption("--fail-on", choices=("any", "regression", "compat"), default="any",
                    help="Exit non-zero on any failing case (default), only on new failures against --baseline "
                         "(regression), or only when a real client breaks on an answer (compat).")
    group.addoption("--clients", metavar="LIST", default=None,
                    help="Real clients each answer is replayed into for a client verdict: auto (default: every "
                         "installed one), none, or names, e.g. openai-python,openai-node (`respcheck clients`; "
                         "environment: RESPCHECK_CLIENTS).")
    group.addoption("--retries", metavar="N", type=int, default=0,
                    help="Retry a case up to N times when only semantic rules (the model's text) failed; a pass "
                         "on retry is reported as flaky. Schema, order and status failures are never retried.")
    group.addoption("--show-secrets", action="store_true", default=False,
                    help="Do not mask the API key and credential headers in output (for local debugging).")


class UsageError(Exception):
    """A bad option or profile: the run stops before any request with one line."""


@dataclass
class RunSettings:
    profile: Profile
    base_url: str | None  # None: start the embedded gateway
    api_key: str | None
    headers: dict[str, str]
    timeout: float
    models: dict[str, str]
    max_body_bytes: int
    faults: list[str] = field(default_factory=list)
    show_secrets: bool = False
    rate_limit: float | None = None
    retry_after_budget: float = 60.0
    concurrency: int | None = None
    record_dir: str | None = None
    replay_dir: str | None = None
    stream_idle_timeout: float = 30.0
    stream_timeout: float = 300.0
    max_stream_events: int = 200_000
    max_stream_bytes: int = DEFAULT_MAX_STREAM_BYTES  # all bytes of one stream
    max_transport_failures: int = 3  # consecutive; 0: never fail fast
    clients: tuple = ()  # the client verdicts' names (--clients); empty: none are judged
    clients_not_run: tuple = ()  # one line each: a client asked for (or auto) that cannot run


def _parse_pairs(values: list[str], sep: str, what: str) -> dict[str, str]:
    pairs = {}
    for value in values:
        key, found, rest = value.partition(sep)
        if not found or not key.strip():
            raise UsageError(f"{what} must look like NAME{sep}VALUE, got {value!r}")
        pairs[key.strip()] = rest.strip()
    return pairs


def _case_roots(config: pytest.Config) -> list[Path]:
    """Where the run's cases may come from: the suite's own, the project's
    cases/ and whatever paths the command line names."""
    roots = [catalogue.BUILTIN_CASES, Path(config.rootpath) / "cases"]
    roots += [Path(str(arg).split("::", 1)[0]) for arg in config.args]
    return roots


def check_profile_names(profile: Profile, config: pytest.Config) -> None:
    problems = check_profile(profile, catalogue.build(_case_roots(config)))
    if problems:
        raise UsageError("profile: " + "\nrespcheck: profile: ".join(str(p) for p in problems))


def _discover_options(opt, profile: Profile) -> None:
    if opt.discover_models and not opt.discover:
        raise UsageError("--discover-models only selects models for --discover; add --discover")
    if not opt.discover:
        return
    state = profile.capabilities.get("models.directory")
    if state is None:
        return  # undeclared: reading the directory is the way to find out
    decision = profile.decide(("models.directory",))
    if decision.kind != "run":
        said = "rejected" if decision.kind == "reject" else "absent"
        raise UsageError(f"--discover reads the target's model directory (GET /directory/models), but profile "
                         f"{profile.name!r} declares it {said} ({profile.where(('capabilities', 'models.directory'))}: "
                         f"capability models.directory); nothing was sent")


def _timeout(opt, profile: Profile) -> float:
    timeout_env = os.environ.get("RESPCHECK_REQUEST_TIMEOUT")
    if opt.request_timeout is not None:
        timeout = opt.request_timeout
        name = "--request-timeout"
    elif timeout_env:
        name = "RESPCHECK_REQUEST_TIMEOUT"
        try:
            timeout = float(timeout_env)
        except ValueError:
            raise UsageError(f"RESPCHECK_REQUEST_TIMEOUT must be a number of seconds, got {timeout_env!r}") from None
    else:
        return profile.request_timeout or DEFAULT_TIMEOUT
    if not timeout > 0:  # also NaN
        raise UsageError(f"{name} must be a positive number of seconds, got {timeout:g}")
    return timeout


def _check_values(opt) -> None:
    try:
        positive("--max-body-bytes", opt.max_body_bytes)
        positive("--max-stream-bytes", opt.max_stream_bytes)
        not_negative("--max-transport-failures", opt.max_transport_failures)
        not_negative("--retries", opt.retries)
        not_negative("--retry-after-budget", opt.retry_after_budget)
        for name in ("stream_idle_timeout", "stream_timeout", "max_stream_events"):
            positive(f"--{name.replace('_', '-')}", getattr(opt, name))
        if opt.concurrency is not None and opt.concurrency <= 0:
            raise OptionError("--concurrency must be a positive number of requests")
        if opt.rate_limit is not None and opt.rate_limit <= 0:
            raise OptionError("--rate-limit must be a positive number of requests per second")
        writable_dir("--report-dir", opt.report_dir)
        writable_dir("--record", opt.record)
        readable_baseline(opt.baseline)
    except OptionError as exc:
        raise UsageError(str(exc)) from None


def _clients(opt, profile) -> tuple[tuple, tuple]:
    from .clients.registry import ClientsError, select

    try:
        spec = getattr(opt, "clients", None) or os.environ.get("RESPCHECK_CLIENTS") or "auto"
        return select(spec, tuple(profile.settings.get("clients") or ()),
                      profile.name)
    except ClientsError as exc:
        raise UsageError(str(exc)) from None


def resolve(config: pytest.Config) -> RunSettings:
    opt = config.option
    _check_values(opt)
    if opt.record and opt.replay:
        raise UsageError("--record and --replay exclude each other")
    if opt.replay and not Path(opt.replay).is_dir():
        raise UsageError(f"--replay {opt.replay!r}: no such recording directory")
    try:
        cli_headers = parse_headers(opt.header)
    except OptionError as exc:
        raise UsageError(str(exc)) from None
    base_url = opt.base_url or os.environ.get("RESPCHECK_BASE_URL") or None
    profile_name = opt.profile or os.environ.get("RESPCHECK_PROFILE")
    if profile_name is None:
        if base_url:
            raise UsageError("--base-url needs --profile NAME|PATH to know the target's models and features "
                             f"(known profiles: {', '.join(available_profiles())})")
        profile_name = "reference"
    try:
        profile = load_profile(profile_name)
    except ProfileError as exc:
        raise UsageError(f"profile: {exc}") from None
    check_profile_names(profile, config)
    _discover_options(opt, profile)
    base_url = base_url or profile.base_url
    if base_url and not base_url.startswith(("http://", "https://")):
        raise UsageError(f"--base-url must start with http:// or https://, got {base_url!r}")
    if opt.reference_fault and base_url:
        raise UsageError("--reference-fault applies to the embedded gateway only; drop --base-url to use it")

    api_key = opt.api_key or os.environ.get("RESPCHECK_API_KEY")
    if not api_key and profile.api_key_env:
        api_key = os.environ.get(profile.api_key_env)
    if not api_key and not base_url:
        # The embedded gateway accepts exactly this run's key; a fresh random one
        # also lets the project's tests prove that keys never reach the output.
        api_key = "rc-" + secrets.token_hex(16)
    timeout = _timeout(opt, profile)
    headers = {**profile.headers, **cli_headers}
    models = {**profile.models, **_parse_pairs(opt.model, "=", "--model")}
    clients, not_run = _clients(opt, profile)
    if opt.fail_on == "compat" and not clients:
        raise UsageError("--fail-on compat fails a run when a real client breaks, but no client judges this run "
                         f"({'; '.join(not_run) or '--clients none'}); install respcheck[clients] or name --clients")
    return RunSettings(clients=clients, clients_not_run=not_run, profile=profile,
                       base_url=base_url.rstrip("/") if base_url else None, api_key=api_key,
                       headers=headers, timeout=timeout, models=models, max_body_bytes=opt.max_body_bytes,
                       faults=list(opt.reference_fault), show_secrets=opt.show_secrets,
                       stream_idle_timeout=opt.stream_idle_timeout, stream_timeout=opt.stream_timeout,
                       max_stream_events=opt.max_stream_events, rate_limit=opt.rate_limit,
                       retry_after_budget=opt.retry_after_budget, concurrency=opt.concurrency,
                       record_dir=opt.record, replay_dir=opt.replay, max_stream_bytes=opt.max_stream_bytes,
                       max_transport_failures=opt.max_transport_failures)
