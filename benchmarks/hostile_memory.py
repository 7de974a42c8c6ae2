"""Issue 10's bounded time and memory, measured on whole suite runs.

The whole suite (`python -m pytest cases`, ~100 items, profile `reference`)
runs as a child process against tests/hostile_server.py in one mode, served
by its own process (benchmarks/serve_hostile.py). For each mode: the suite's
peak RSS (os.wait4 of that child), its wall time, how many cases finished,
and the size of its report directory (transcripts included).

    python benchmarks/hostile_memory.py                  # all five modes
    python benchmarks/hostile_memory.py --modes gigabyte --time-limit 60
    python benchmarks/hostile_memory.py --pytest-arg=--max-body-bytes=1000000

Memory modes: gigabyte (1 GiB JSON bodies), endless_stream (a valid stream
that never ends), big_event (one 50 MB SSE event per case). Time modes: drip
(a body of one byte per 0.3 s) and drip_stream_headers (a streamed answer's
headers one byte per second); they run with the default --request-timeout
(the reference profile's, 15 s).
A run is stopped at --time-limit (shown as "> N s", with the cases finished by
then) or when its RSS passes --rss-limit-mb (shown as "> N MB").
Targets (issue 10): every memory run peaks under 300 MB; no run is bounded
only by --stream-timeout.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from processes import ROOT, Measured, load, python, run_measured, start_server, stop  # noqa: E402

MEMORY_MODES = ("gigabyte", "endless_stream", "big_event")
TIME_MODES = ("drip", "drip_stream_headers")
API_KEY = "sk-bench-hostile-not-a-secret"
TARGET_MB = 300
# One line per finished item under -v: "cases/x.yaml::case.id FAILED   [ 12%]"
FINISHED = re.compile(r"^cases/\S+::\S+ (PASSED|FAILED|SKIPPED|ERROR|XFAIL|XPASS)\b", re.M)
RUNNING = re.compile(r"^cases/\S+::(\S+) ?$", re.M)  # an item still without its outcome
COLLECTED = re.compile(r"collected (\d+) items?")


def suite_command(base_url: str, report_dir: Path, extra: list[str]) -> list[str]:
    return python("-m", "pytest", "cases", "-v", "-p", "no:cacheprovider", "--base-url", base_url,
                  "--profile", "reference", "--api-key", API_KEY, "--report-dir", str(report_dir), *extra)


def directory_mb(path: Path) -> float:
    if not path.is_dir():
        return 0.0
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6


def run_mode(mode: str, args: argparse.Namespace, scratch: Path) -> tuple[Measured, int, int, float]:
    """One suite run against one server: (measurement, cases finished, cases collected, reports MB)."""
    extra = list(args.pytest_arg)
    if mode in MEMORY_MODES and args.request_timeout is not None:
        extra += ["--request-timeout", str(args.request_timeout)]
    server, port = start_server(python(str(ROOT / "benchmarks" / "serve_hostile.py"), mode))
    try:
        reports = scratch / f"reports-{mode}"
        measured = run_measured(suite_command(f"http://127.0.0.1:{port}/v1", reports, extra), cwd=ROOT,
                                log=scratch / f"{mode}.log", time_limit=args.time_limit,
                                rss_limit_mb=args.rss_limit_mb)
    finally:
        stop(server)
    collected = COLLECTED.search(measured.output)
    return (measured, len(FINISHED.findall(measured.output)), int(collected.group(1)) if collected else 0,
            directory_mb(reports))


def describe(mode: str, measured: Measured, finished: int, collected: int, reports_mb: float,
             args: argparse.Namespace) -> str:
    rss = f"> {args.rss_limit_mb:g} MB" if measured.stopped_because == "rss" else f"{measured.peak_rss_mb:.0f} MB"
    verdict = ""
    if mode in MEMORY_MODES and not measured.stopped_because:
        verdict = "ok" if measured.peak_rss_mb < TARGET_MB else f"over the {TARGET_MB} MB target"
    if measured.stopped_because:
        running = RUNNING.findall(measured.output)
        verdict += f"stopped during {running[-1]}" if running else "stopped"
    exit_code = "stopped" if measured.returncode is None else str(measured.returncode)
    return (f"{mode:<20} {finished:>4}/{collected:<4} {measured.wall(args.time_limit):>9} {rss:>10} "
            f"{reports_mb:>9.1f} MB  exit {exit_code:<7} {verdict}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--modes", default=",".join(MEMORY_MODES + TIME_MODES),
                        help="comma-separated hostile modes to run (default: %(default)s)")
    parser.add_argument("--time-limit", type=float, default=120.0, help="seconds per run before it is stopped")
    parser.add_argument("--rss-limit-mb", type=float, default=4000.0,
                        help="stop a run whose RSS passes this (protects a shared machine)")
    parser.add_argument("--request-timeout", type=float, default=None,
                        help="--request-timeout for the memory modes (default: the suite's own)")
    parser.add_argument("--pytest-arg", action="append", default=[],
                        help="an extra argument for every suite run, e.g. --pytest-arg=--max-body-bytes=1000000")
    parser.add_argument("--keep", metavar="DIR", help="keep the logs and report directories here")
    args = parser.parse_args()
    modes = [mode for mode in args.modes.split(",") if mode]
    unknown = [mode for mode in modes if mode not in MEMORY_MODES + TIME_MODES]
    if unknown:
        parser.error(f"unknown mode(s) {', '.join(unknown)}; choose from {', '.join(MEMORY_MODES + TIME_MODES)}")

    print(f"hostile_memory: {len(modes)} run(s), each at most {args.time_limit:g} s; {load()}")
    print(f"{'server mode':<20} {'cases':>9} {'wall':>9} {'peak RSS':>10} {'reports':>12}")
    with tempfile.TemporaryDirectory(prefix="respcheck-hostile-") as tmp:
        scratch = Path(args.keep) if args.keep else Path(tmp)
        scratch.mkdir(parents=True, exist_ok=True)
        for mode in modes:
            print(describe(mode, *run_mode(mode, args, scratch), args), flush=True)
    print(f"after the runs: {load()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
