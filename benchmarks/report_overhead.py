"""What reporting costs on a full run of the suite against the embedded
gateway: wall time of `pytest cases` without reports (--report-dir ''),
with the default reports, with a failing run (transcripts written), and
with Allure on top. Each variant runs several times; the median is shown.

    python benchmarks/report_overhead.py [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def wall(args: list[str], runs: int) -> tuple[float, int]:
    times, code = [], 0
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "pytest", "cases", "-q", "-p", "no:cacheprovider", *args],
                              cwd=ROOT, capture_output=True, text=True)
        times.append(time.perf_counter() - start)
        code = done.returncode
    return statistics.median(times), code


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        variants = [
            ("no reports (--report-dir '')", ["--report-dir", ""]),
            ("reports (results, matrix, features)", ["--report-dir", f"{tmp}/a"]),
            ("reports, failing run (+ transcripts)", ["--report-dir", f"{tmp}/b", "--reference-fault", "usage_total_wrong"]),
            ("no reports, same failing run", ["--report-dir", "", "--reference-fault", "usage_total_wrong"]),
            ("reports + Allure + JUnit", ["--report-dir", f"{tmp}/c", f"--alluredir={tmp}/allure",
                                         f"--junitxml={tmp}/junit.xml"]),
        ]
        base = None
        for name, extra in variants:
            seconds, code = wall(extra, args.runs)
            base = seconds if base is None else base
            print(f"{name:<42} {seconds:6.2f}s  (exit {code}, {100 * (seconds / base - 1):+5.1f}% vs no reports)")
        transcripts = list(Path(tmp, "b", "transcripts").glob("*.txt"))
        print(f"transcripts written in the failing run: {len(transcripts)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
