"""What the client verdicts cost: wall time and peak RSS of `pytest cases`
against the embedded gateway with --clients none and with --clients auto
(every installed client), alternating, several runs each; mean and min.
A run with a fault switch that breaks an SDK (its raises are the slow path)
is measured too, and with --latency-ms D the suite against `respcheck serve`
behind benchmarks/latency_proxy.py (+D ms per request, as a model behind a
real gateway answers). The target of issue 14: at most ~30% more wall time.
Peak RSS is the pytest process's own (the clients' helper process is
another ~80 MiB beside it).

    python benchmarks/clients_overhead.py [--runs 5] [--fault stream_item_added_missing] [--latency-ms 200]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def once(args: list[str]) -> tuple[float, float, int]:
    """(seconds, peak RSS in MiB, exit code) of one run; wait4 gives this child's own rusage."""
    start = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-m", "pytest", "cases", "-q", "-p", "no:cacheprovider", *args],
                             cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _pid, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    return time.perf_counter() - start, usage.ru_maxrss / 1024, child.returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--fault", default="stream_item_added_missing")
    parser.add_argument("--latency-ms", type=float, default=0.0,
                        help="also measure against respcheck serve behind a proxy adding this latency")
    args = parser.parse_args()
    if args.latency_ms:
        return _with_latency(args)
    with tempfile.TemporaryDirectory() as tmp:
        variants = {"--clients none": ["--clients", "none", "--report-dir", f"{tmp}/none"],
                    "--clients auto": ["--clients", "auto", "--report-dir", f"{tmp}/auto"]}
        faulted = {f"--clients none, fault {args.fault}": ["--clients", "none", "--reference-fault", args.fault,
                                                          "--report-dir", f"{tmp}/fn"],
                   f"--clients auto, fault {args.fault}": ["--clients", "auto", "--reference-fault", args.fault,
                                                          "--report-dir", f"{tmp}/fa"]}
        results: dict[str, list] = {name: [] for name in {**variants, **faulted}}
        rss: dict[str, list] = {name: [] for name in results}
        once(variants["--clients none"])  # warm the file cache and bytecode once, unmeasured
        for _ in range(args.runs):
            for name, argv in {**variants, **faulted}.items():  # alternate: load drifts hit both alike
                seconds, peak, _code = once(argv)
                results[name].append(seconds)
                rss[name].append(peak)
    for name, times in results.items():
        print(f"{name:<55} mean {statistics.mean(times):6.2f}s  min {min(times):6.2f}s  "
              f"peak RSS max {max(rss[name]):.0f} MiB")
    for off, on in (("--clients none", "--clients auto"),
                    (f"--clients none, fault {args.fault}", f"--clients auto, fault {args.fault}")):
        mean = statistics.mean(results[on]) / statistics.mean(results[off]) - 1
        best = min(results[on]) / min(results[off]) - 1
        print(f"overhead of client verdicts ({on.split(', ', 1)[-1] if ',' in on else 'clean'}): "
              f"mean {mean:+.0%}, min {best:+.0%}")
    return 0


def _with_latency(args) -> int:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from concurrency import API_KEY, start_gateway, start_server, stop  # the same harness as benchmarks/concurrency.py

    gateway, origin = start_gateway([])
    try:
        proxy, port = start_server([sys.executable, str(ROOT / "benchmarks" / "latency_proxy.py"), "--upstream",
                                    origin, "--delay-ms", str(args.latency_ms)])
        try:
            target = ["--base-url", f"http://127.0.0.1:{port}/v1", "--profile", "reference", "--api-key", API_KEY,
                      "--concurrency", "4", "--report-dir", ""]
            results: dict[str, list] = {"--clients none": [], "--clients auto": []}
            for _ in range(args.runs):
                for name in results:
                    results[name].append(once([*target, "--clients", name.split()[-1]])[0])
        finally:
            stop(proxy)
    finally:
        stop(gateway)
    for name, times in results.items():
        print(f"+{args.latency_ms:g} ms per request, {name:<16} mean {statistics.mean(times):6.2f}s  "
              f"min {min(times):6.2f}s")
    mean = statistics.mean(results["--clients auto"]) / statistics.mean(results["--clients none"]) - 1
    best = min(results["--clients auto"]) / min(results["--clients none"]) - 1
    print(f"overhead of client verdicts (+{args.latency_ms:g} ms): mean {mean:+.0%}, min {best:+.0%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
