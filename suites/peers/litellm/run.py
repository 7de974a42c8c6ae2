"""Run the conformance suite against a real LiteLLM proxy in front of the
embedded reference gateway, with the shipped profiles litellm,
litellm-bridge and litellm-stateful (LiteLLM's native pass-through before
the reference's stateful mode, `respcheck serve --stateful`: the stored-
response API through LiteLLM), and exit non-zero unless every run is green.

    python suites/peers/litellm/run.py [--report-dir DIR] [--keep-logs] [-- PYTEST ARGS]

First use installs the pinned LiteLLM (requirements.txt) into a cache
virtualenv outside the repository ($RESPCHECK_CACHE, else
$XDG_CACHE_HOME/respcheck, else ~/.cache/respcheck); later runs reuse it.
Both servers bind 127.0.0.1 on free ports and are stopped by PID at the end.
Exit codes: 0 both runs green, 1 a run failed, 2 a server did not start,
3 LiteLLM could not be installed (e.g. no network; the message says why).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from peer_processes import Server, free_port, start, stop, wait_ready  # noqa: E402
from peer_venv import InstallError, ensure_venv  # noqa: E402

REPO = HERE.parents[2]
PROFILES = ("litellm", "litellm-bridge", "litellm-stateful")
UPSTREAM_KEY = "rc-local-key"
# Ready in 6-9 s on an idle 2-core machine; a loaded CI box gets far more.
LITELLM_START_BUDGET = 120.0
REFERENCE_START_BUDGET = 30.0
# Offline start: no cost-map fetch, no telemetry, no schema push, no docs UI.
LITELLM_ENV = {
    "LITELLM_LOCAL_MODEL_COST_MAP": "True",
    "LITELLM_TELEMETRY": "False",
    "DISABLE_SCHEMA_UPDATE": "True",
    "NO_DOCS": "True",
    "HF_HUB_OFFLINE": "1",
    "NO_PROXY": "127.0.0.1,localhost",
    "no_proxy": "127.0.0.1,localhost",
}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--report-dir", default=str(REPO / "reports" / "peers" / "litellm"),
                        help="one sub-folder per profile, plus the servers' logs (default reports/peers/litellm)")
    parser.add_argument("--keep-logs", action="store_true",
                        help="keep the servers' logs and the rendered LiteLLM config after green runs too "
                             "(they are always kept when something fails)")
    parser.add_argument("--cache-dir", default=None, help="where the LiteLLM virtualenv lives (see above)")
    parser.add_argument("--profile", action="append", choices=PROFILES, default=None,
                        help="run only this profile (repeatable; default all three)")
    parser.add_argument("pytest_args", nargs="*", help="extra arguments for both pytest runs (after --)")
    return parser


def cache_root(explicit: str | None) -> Path:
    if explicit:
        return Path(explicit)
    if os.environ.get("RESPCHECK_CACHE"):
        return Path(os.environ["RESPCHECK_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "respcheck"


def render_config(upstream: str, state_upstream: str, master_key: str) -> str:
    text = (HERE / "config.template.yaml").read_text(encoding="utf-8")
    for name, value in {"UPSTREAM": upstream, "STATE_UPSTREAM": state_upstream, "UPSTREAM_KEY": UPSTREAM_KEY,
                        "MASTER_KEY": master_key}.items():
        text = text.replace("{{" + name + "}}", value)
    return text


def run_suite(profile: str, base_url: str, master_key: str, report_dir: Path, extra: list[str]) -> tuple[int, dict]:
    """One pytest run of the cases; its exit code and the run's counts."""
    import subprocess

    command = [sys.executable, "-m", "pytest", "cases", "-q", "--base-url", base_url, "--profile", profile,
               "--api-key", master_key, "--report-dir", str(report_dir), *extra]
    print(f"== suite with profile {profile} against LiteLLM at {base_url} ==", flush=True)
    code = subprocess.call(command, cwd=REPO)
    results = report_dir / "results.json"
    counts = json.loads(results.read_text(encoding="utf-8")).get("counts", {}) if results.is_file() else {}
    return code, counts


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    report_root = Path(args.report_dir).resolve()
    if report_root.exists():
        shutil.rmtree(report_root)
    report_root.mkdir(parents=True)
    started = time.monotonic()
    try:
        venv = ensure_venv(cache_root(args.cache_dir), HERE / "requirements.txt")
    except InstallError as exc:
        print(f"litellm peer: cannot install LiteLLM: {exc}", file=sys.stderr)
        return 3
    print(f"litellm peer: LiteLLM ready in {venv} ({time.monotonic() - started:.0f} s)", flush=True)

    master_key = "sk-respcheck-" + secrets.token_hex(8)
    servers: list[Server] = []
    failed = True
    workdir = Path(tempfile.mkdtemp(prefix="respcheck-litellm-"))  # LiteLLM's cwd and its config (holds the key)
    try:
        ref_port = free_port()
        reference = start("reference gateway", [sys.executable, "-m", "respcheck", "serve", "--port", str(ref_port),
                                                "--api-key", UPSTREAM_KEY],
                          report_root / "reference.log", cwd=REPO)
        servers.append(reference)
        upstream = f"http://127.0.0.1:{ref_port}/v1"
        state_port = free_port()
        stateful = start("stateful reference gateway", [sys.executable, "-m", "respcheck", "serve", "--stateful",
                                                        "--port", str(state_port), "--api-key", UPSTREAM_KEY],
                         report_root / "reference-stateful.log", cwd=REPO)
        servers.append(stateful)
        state_upstream = f"http://127.0.0.1:{state_port}/v1"
        config = workdir / "config.yaml"
        config.write_text(render_config(upstream, state_upstream, master_key), encoding="utf-8")
        (report_root / "litellm-config.yaml").write_text(render_config(upstream, state_upstream, "sk-***"),
                                                         encoding="utf-8")
        wait_ready(reference, f"{upstream}/models", UPSTREAM_KEY, REFERENCE_START_BUDGET)
        wait_ready(stateful, f"{state_upstream}/models", UPSTREAM_KEY, REFERENCE_START_BUDGET)

        proxy_port = free_port()
        litellm = start("LiteLLM proxy", [str(venv / "bin" / "litellm"), "--config", str(config), "--host",
                                          "127.0.0.1", "--port", str(proxy_port), "--num_workers", "1"],
                        report_root / "litellm.log", env={**os.environ, **LITELLM_ENV}, cwd=workdir)
        servers.append(litellm)
        wait_ready(litellm, f"http://127.0.0.1:{proxy_port}/health/liveliness", master_key, LITELLM_START_BUDGET)
        print(f"litellm peer: reference at {upstream} (stateful at {state_upstream}), LiteLLM at http://127.0.0.1:{proxy_port}/v1 "
              f"({time.monotonic() - started:.0f} s)", flush=True)

        outcomes = {}
        for profile in args.profile or PROFILES:
            outcomes[profile] = run_suite(profile, f"http://127.0.0.1:{proxy_port}/v1", master_key,
                                          report_root / profile, args.pytest_args)
        failed = any(code != 0 for code, _ in outcomes.values())
    except (RuntimeError, OSError) as exc:
        print(f"litellm peer: {exc}", file=sys.stderr)
        return 2
    finally:
        for server in reversed(servers):
            stop(server)
        shutil.rmtree(workdir, ignore_errors=True)
        if failed or args.keep_logs:
            print(f"litellm peer: logs and config kept in {report_root}", flush=True)
        else:
            for name in ("litellm.log", "reference.log", "reference-stateful.log", "litellm-config.yaml"):
                (report_root / name).unlink(missing_ok=True)

    for profile, (code, counts) in outcomes.items():
        shown = ", ".join(f"{n} {k}" for k, n in counts.items() if n) or "no results"
        print(f"litellm peer: profile {profile}: {'green' if code == 0 else f'FAILED (exit {code})'}: {shown}")
    print(f"litellm peer: {time.monotonic() - started:.0f} s in all", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
