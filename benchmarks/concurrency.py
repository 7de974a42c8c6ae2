"""Issue 11: what a conformance run costs when every request takes D ms.

Starts the reference gateway (`python -m respcheck serve`) and
benchmarks/latency_proxy.py in front of it (+D ms per request), then:

1. records the suite's requests once (`--record`, straight at the gateway,
   not timed);
2. for each concurrency N: the whole suite as one process through the proxy
   (`python -m pytest cases --concurrency N ...`, startup included), and
   benchmarks/bare_client.py sending the recorded requests with N threads,
   also a whole process; prints both walls and their ratio;
3. `pytest cases --collect-only` against a bare `import pytest, httpx,
   jsonschema, yaml` (medians of --repeat runs; the ratio);
4. with --discover: `--discover` runs at --discover-concurrency over
   directories of each size in --discover-sizes (wall and peak RSS), if the
   gateway can be told to list that many models (--discover-serve-arg);
   otherwise one run over the gateway's own directory, and a note.

    python benchmarks/concurrency.py                      # D = 200 ms; N = 1, 4, 16
    python benchmarks/concurrency.py --delay-ms 1000 --levels 1,16
    python benchmarks/concurrency.py --discover --skip-suite

Targets (issue 11, at D = 1000 ms): suite/bare <= 1.1 at N = 1 and <= 1.3 at
N = 16; collect-only <= 2x the bare imports; discover's RSS grows about
linearly with the number of cases.
"""

from __future__ import annotations

import argparse
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))

from processes import ROOT, Measured, load, python, run_measured, start_server, stop  # noqa: E402

API_KEY = "rc-bench-key"
SUMMARY = re.compile(r"^=*\s*(\d+ (passed|failed|skipped|error|errors)\b.*?)\s*=*$", re.M)
COLLECTED = re.compile(r"collected (\d+) items?|(\d+) tests? collected")
SENT = re.compile(r"sent (\d+) requests in ([0-9.]+) s \((\d+) errors\)")
BARE_IMPORTS = "import pytest, httpx, jsonschema, yaml"
TARGETS = {1: 1.1, 16: 1.3}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_gateway(extra: list[str]) -> tuple[subprocess.Popen, str]:
    """`respcheck serve` on a free loopback port; returns it and its origin once it answers."""
    port = free_port()
    process = subprocess.Popen(python("-m", "respcheck", "serve", "--port", str(port), "--api-key", API_KEY,
                                      *extra), cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    origin = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30.0
    try:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"respcheck serve ended: {process.stderr.read().decode()[-500:]}")
            try:
                httpx.get(origin + "/v1/models", headers={"Authorization": f"Bearer {API_KEY}"}, timeout=2.0)
                return process, origin
            except httpx.TransportError:
                time.sleep(0.2)
        raise RuntimeError("respcheck serve did not answer within 30 s")
    except BaseException:
        stop(process)
        raise


def suite(base_url: str, concurrency: int, scratch: Path, name: str, args: argparse.Namespace,
          *extra: str) -> Measured:
    command = python("-m", "pytest", "cases", "-q", "-p", "no:cacheprovider", "--base-url", base_url,
                     "--profile", "reference", "--api-key", API_KEY, "--concurrency", str(concurrency),
                     "--report-dir", str(scratch / f"reports-{name}"), *args.suite_arg, *extra)
    return run_measured(command, cwd=ROOT, log=scratch / f"{name}.log", time_limit=args.time_limit,
                        rss_limit_mb=args.rss_limit_mb)


def summary(measured: Measured) -> str:
    found = SUMMARY.findall(measured.output)
    return found[-1][0] if found else f"no summary (exit {measured.returncode}, {measured.stopped_because})"


def bare(origin: str, recording: Path, threads: int, scratch: Path, args: argparse.Namespace) -> tuple[Measured, str]:
    command = python(str(ROOT / "benchmarks" / "bare_client.py"), "--recording", str(recording), "--origin", origin,
                     "--threads", str(threads), "--api-key", API_KEY)
    measured = run_measured(command, cwd=ROOT, log=scratch / f"bare-{threads}.log", time_limit=args.time_limit,
                            rss_limit_mb=args.rss_limit_mb)
    sent = SENT.search(measured.output)
    return measured, (f"{sent.group(1)} requests, {float(sent.group(2)):.2f} s sending, {sent.group(3)} errors"
                      if sent else measured.output.strip()[-200:])


def suite_against_bare(proxy_origin: str, levels: list[int], recording: Path, scratch: Path,
                       args: argparse.Namespace) -> None:
    print(f"\n{'N':>3}  {'suite':>9}  {'bare httpx':>10}  {'ratio':>6}  target  suite result / bare client")
    for level in levels:
        run = suite(proxy_origin + "/v1", level, scratch, f"suite-{level}", args)
        floor, detail = bare(proxy_origin, recording, level, scratch, args)
        ratio = run.seconds / floor.seconds if floor.seconds else float("nan")
        target = f"<= {TARGETS[level]:.1f}" if level in TARGETS else ""
        print(f"{level:>3}  {run.wall(args.time_limit):>9}  {floor.wall(args.time_limit):>10}  {ratio:>5.1f}x  "
              f"{target:>6}  {summary(run)} / {detail}", flush=True)


def median_wall(command: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def collect_only(runs: int) -> None:
    collect = median_wall(python("-m", "pytest", "cases", "--collect-only", "-q", "-p", "no:cacheprovider"), runs)
    imports = median_wall(python("-c", BARE_IMPORTS), runs)
    print(f"\ncollect-only: {collect:.2f} s; `{BARE_IMPORTS}`: {imports:.2f} s; ratio {collect / imports:.1f}x "
          f"(target <= 2x; medians of {runs})")


def discover_supported(serve_arg: str) -> bool:
    option = serve_arg.split("=", 1)[0].split()[0]
    done = subprocess.run(python("-m", "respcheck", "serve", "--help"), cwd=ROOT, capture_output=True, text=True,
                          timeout=60)
    return option in done.stdout


def directory_models(origin: str) -> list[str]:
    answer = httpx.get(origin + "/v1/directory/models", headers={"Authorization": f"Bearer {API_KEY}"}, timeout=10)
    models = answer.json().get("models") if answer.status_code == 200 else None
    # The profile's `unavailable` model is down by design; a plain --discover leaves it out too.
    profile = yaml.safe_load((ROOT / "suites" / "profiles" / "reference.yaml").read_text(encoding="utf-8"))
    down = set((profile.get("models") or {}).get("unavailable", "").split())
    return sorted(set(models) - down) if isinstance(models, dict) else []


def cases_run(measured: Measured) -> int:
    """Items with an outcome, from pytest's summary line (-q prints no "collected N")."""
    line = summary(measured)
    return sum(int(n) for n in re.findall(r"(\d+) (?:passed|failed|skipped|errors?|xfailed|xpassed)", line))


def discover_point(label: str, serve_extra: list[str], suite_extra: list[str], args: argparse.Namespace,
                   scratch: Path, first: tuple[int, float] | None) -> tuple[int, float]:
    """One --discover run; prints its line; returns (cases, peak RSS MB). `first`: the first point's."""
    gateway, origin = start_gateway(serve_extra)
    try:
        proxy, port = start_server(python(str(ROOT / "benchmarks" / "latency_proxy.py"), "--upstream", origin,
                                          "--delay-ms", str(args.delay_ms)))
        try:
            run = suite(f"http://127.0.0.1:{port}/v1", args.discover_concurrency, scratch,
                        "discover-" + re.sub(r"\W+", "-", label), args, "--discover", *suite_extra)
        finally:
            stop(proxy)
    finally:
        stop(gateway)
    cases = cases_run(run)
    if first is None or cases <= first[0]:
        growth = "-"
    else:  # linear growth means this stays about the same from point to point
        growth = f"{(run.peak_rss_mb - first[1]) * 1024 / (cases - first[0]):.0f} KB"
    print(f"  {label:<22} {cases:>6} {run.wall(args.time_limit):>9} {run.peak_rss_mb:>6.0f} MB {growth:>10}  "
          f"{summary(run)}", flush=True)
    return cases, run.peak_rss_mb


def discover_runs(args: argparse.Namespace, scratch: Path) -> None:
    sizes = [int(size) for size in args.discover_sizes.split(",") if size]
    print(f"\n--discover at --concurrency {args.discover_concurrency}, D = {args.delay_ms:g} ms")
    print(f"  {'directory':<22} {'cases':>6} {'wall':>9} {'peak RSS':>9} {'RSS/+case':>10}  result"
          f"   (RSS/+case: RSS above the first run's, per case more)")
    first = None
    if discover_supported(args.discover_serve_arg):
        for size in sizes:
            point = discover_point(f"{size} models", [args.discover_serve_arg.format(n=size)], [], args, scratch,
                                   first)
            first = first or point
        return
    # Until the gateway can list more models: the trend over subsets of its own directory.
    gateway, origin = start_gateway([])
    try:
        models = directory_models(origin)
    finally:
        stop(gateway)
    for count in sorted({1, max(1, len(models) // 2), len(models)}):
        point = discover_point(f"{count} of its {len(models)} models", [],
                               ["--discover-models", ",".join(models[:count])], args, scratch, first)
        first = first or point
    print(f"  the {sizes} scale run is skipped: `respcheck serve --help` has no "
          f"{args.discover_serve_arg.split('=')[0]} option yet (name it with --discover-serve-arg)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--delay-ms", type=float, default=200.0, help="latency the proxy adds per request")
    parser.add_argument("--levels", default="1,4,16", help="concurrency levels (default %(default)s)")
    parser.add_argument("--repeat", type=int, default=3, help="runs behind each collect-only median")
    parser.add_argument("--time-limit", type=float, default=600.0, help="seconds any one process may run")
    parser.add_argument("--rss-limit-mb", type=float, default=4000.0, help="stop a process whose RSS passes this")
    parser.add_argument("--suite-arg", action="append", default=[], help="an extra argument for every suite run")
    parser.add_argument("--skip-suite", action="store_true", help="skip the suite-against-bare comparison")
    parser.add_argument("--skip-collect", action="store_true", help="skip the collect-only ratio")
    parser.add_argument("--discover", action="store_true", help="also the --discover scale run")
    parser.add_argument("--discover-sizes", default="10,25,50", help="directory sizes (default %(default)s)")
    parser.add_argument("--discover-concurrency", type=int, default=32)
    parser.add_argument("--discover-serve-arg", default="--models={n}",
                        help="what tells `respcheck serve` to list {n} models (default %(default)s)")
    parser.add_argument("--keep", metavar="DIR", help="keep logs, reports and the recording here")
    args = parser.parse_args()
    levels = [int(level) for level in args.levels.split(",") if level]

    print(f"concurrency: D = {args.delay_ms:g} ms per request; {load()}")
    with tempfile.TemporaryDirectory(prefix="respcheck-concurrency-") as tmp:
        scratch = Path(args.keep) if args.keep else Path(tmp)
        scratch.mkdir(parents=True, exist_ok=True)
        if not args.skip_suite:
            gateway, origin = start_gateway([])
            try:
                recording = scratch / "recording"
                recorded = suite(origin + "/v1", 1, scratch, "record", args, "--record", str(recording))
                print(f"recording (at the gateway, untimed): {summary(recorded)}")
                proxy, port = start_server(python(str(ROOT / "benchmarks" / "latency_proxy.py"), "--upstream",
                                                  origin, "--delay-ms", str(args.delay_ms)))
                try:
                    suite_against_bare(f"http://127.0.0.1:{port}", levels, recording, scratch, args)
                finally:
                    stop(proxy)
            finally:
                stop(gateway)
        if not args.skip_collect:
            collect_only(args.repeat)
        if args.discover:
            discover_runs(args, scratch)
    print(f"\nafter the runs: {load()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
