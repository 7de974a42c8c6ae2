"""Which fault switches of the reference gateway break which real client:
`pytest cases` once per switch (`respcheck faults`, the drop: template
aside) with --clients auto, and a Markdown table of the cases each client
judges `breaks` / `differs` (with the first detail), from each run's
results.json. The clean gateway is run first: every verdict there is `ok`
or `not judged`.

    python benchmarks/clients_fault_table.py [--out DIR] [--only NAME,NAME] [--reuse]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from respcheck.reference.faults import FAULTS  # noqa: E402

BAD = ("breaks", "differs")


def run(fault: str | None, out: Path, reuse: bool) -> dict:
    directory = out / (fault or "clean")
    if not (reuse and (directory / "results.json").is_file()):
        args = ["--reference-fault", fault] if fault else []
        subprocess.run([sys.executable, "-m", "pytest", "cases", "-q", "-p", "no:cacheprovider", "--clients", "auto",
                        "--stream-idle-timeout", "5", "--report-dir", str(directory), *args],
                       cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return json.loads((directory / "results.json").read_text(encoding="utf-8"))


def row(fault: str, results: dict, clients: list[str]) -> str:
    strict = sum(1 for c in results["cases"] if c.get("outcome") in ("failed", "error"))
    cells = []
    for client in clients:
        bad = [(c["name"], c["clients"][client]) for c in results["cases"]
               if (c.get("clients") or {}).get(client, {}).get("verdict") in BAD]
        if not bad:
            cells.append("ok")
            continue
        kinds = sorted({v["verdict"] for _, v in bad})
        first = bad[0][1]["detail"].replace("|", "\\|")[:90]
        cells.append(f"{' / '.join(kinds)} {len(bad)} (`{bad[0][0]}`: {first})")
    return f"| `{fault}` | {strict} | " + " | ".join(cells) + " |"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default="/tmp/respcheck-client-sweep")
    parser.add_argument("--only", default="")
    parser.add_argument("--reuse", action="store_true", help="read an earlier sweep's results.json where present")
    args = parser.parse_args()
    out = Path(args.out)
    faults = [f for f in (args.only.split(",") if args.only else sorted(FAULTS)) if f and ":" not in f]
    clean = run(None, out, args.reuse)
    clients = sorted((clean.get("clients") or {}).get("by_client") or {})
    noisy = [c["name"] for c in clean["cases"] for v in (c.get("clients") or {}).values() if v["verdict"] in BAD]
    print(f"clean gateway: {len(clean['cases'])} cases, clients {', '.join(clients)}; "
          f"breaks/differs: {noisy or 'none'}")
    print()
    print("| fault switch | strict failures | " + " | ".join(clients) + " |")
    print("|---|---|" + "---|" * len(clients))
    breaking = 0
    for fault in faults:
        line = row(fault, run(fault, out, args.reuse), clients)
        breaking += any(cell.strip() != "ok" for cell in line.split("|")[3:-1])
        print(line, flush=True)
    print()
    print(f"{breaking} of {len(faults)} switches break (or are misread by) at least one client")
    return 0


if __name__ == "__main__":
    sys.exit(main())
