"""What the openai-node client verdict costs.

  install   npm install of the pinned openai into an empty cache folder (needs
            the npm registry; skipped with --skip-install)
  start     a warm start: node started, the SDK loaded, the first view answered
  views/s   replays through one driver, sequentially as the suite hands them
            over: a typical short text stream, a longer stream (~200 deltas),
            a non-stream Response, a chat stream; all recorded from the
            embedded reference gateway

    python benchmarks/node_client.py [--views 300] [--skip-install] [--cache-dir DIR]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from respcheck.clients import node  # noqa: E402
from respcheck.reference import ReferenceServer  # noqa: E402
from respcheck.reference.app import DEFAULT_API_KEY  # noqa: E402

SHORT = {"model": "ref-text-1", "input": "Say hello", "stream": True}
LONG = {"model": "ref-text-1", "input": "Count from 1 to 200", "stream": True}
PLAIN = {"model": "ref-text-1", "input": "Say hello"}
CHAT = {"model": "ref-text-1", "messages": [{"role": "user", "content": "Say hello"}], "stream": True,
        "stream_options": {"include_usage": True}}
REPLAYS = [("short text stream", "responses.stream", "/responses", SHORT),
           ("long text stream", "responses.stream", "/responses", LONG),
           ("non-stream Response", "responses.create", "/responses", PLAIN),
           ("chat stream", "chat.completions.stream", "/chat/completions", CHAT)]


def recorded_replays() -> list[tuple[str, dict, int]]:
    """(label, replay, body size) for each entry of REPLAYS, from a clean reference gateway."""
    out = []
    with ReferenceServer() as server, httpx.Client(timeout=30, trust_env=False) as http:
        for label, operation, path, body in REPLAYS:
            answer = http.post(server.base_url + path, json=body,
                               headers={"authorization": f"Bearer {DEFAULT_API_KEY}"})
            out.append((label, node.replay_of(operation, body, answer.status_code, dict(answer.headers),
                                              answer.content), len(answer.content)))
    return out


def timed_install() -> float:
    scratch = Path(tempfile.mkdtemp(prefix="respcheck-node-bench-"))
    try:
        started = time.monotonic()
        node.ensure_installed(scratch / "cache")
        return time.monotonic() - started
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--views", type=int, default=300, help="views per replay kind")
    parser.add_argument("--skip-install", action="store_true", help="do not time a cold npm install")
    parser.add_argument("--cache-dir", default=None, help="the warm cache (default: the client's own)")
    args = parser.parse_args()
    reason = node.unavailable_reason()
    if reason:
        print(f"openai-node not run: {reason}")
        return 1
    print(f"openai-node {node.PINNED_VERSION}")
    if not args.skip_install:
        print(f"install   {timed_install():6.1f} s  (npm install into an empty cache folder)")
    cache_dir = Path(args.cache_dir) if args.cache_dir else node.default_cache_dir()
    node.ensure_installed(cache_dir)
    replays = recorded_replays()
    with node.NodeViews(cache_dir=cache_dir) as views:
        started = time.monotonic()
        first = views.view(replays[0][1])
        print(f"start     {time.monotonic() - started:6.2f} s  (node + SDK loaded + first view, warm cache)")
        if first["raised"]:
            print(f"the first view raised: {first['raised']}")
            return 1
        for label, replay, size in replays:
            started = time.monotonic()
            for _ in range(args.views):
                view = views.view(replay)
            seconds = time.monotonic() - started
            status = "ok" if view["raised"] is None else f"raised {view['raised']['type']}"
            print(f"views/s   {args.views / seconds:6.0f}    {label} ({size:,} bytes; {status})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
