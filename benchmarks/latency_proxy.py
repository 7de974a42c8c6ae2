"""An HTTP proxy on loopback that makes every request D ms slower, the way a
model behind a real gateway does, and passes answers through unbuffered.

    python benchmarks/latency_proxy.py --upstream http://127.0.0.1:8765 [--delay-ms 200]

Prints `port N` on its first line, then serves until SIGTERM or SIGINT.
Each request waits D ms (asyncio.sleep, so any number wait at once), then goes
upstream as it came; the answer's bytes are relayed as they arrive (raw: a
gzip body stays compressed, an SSE stream is never held back), with its
status and headers except the hop-by-hop ones.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import socket

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import StreamingResponse
from starlette.routing import Route

# RFC 9110 7.6.1: these describe one connection, not the message; `host` and
# `content-length` are set again by the next hop.
HOP_BY_HOP = {b"connection", b"keep-alive", b"proxy-authenticate", b"proxy-authorization", b"te", b"trailer",
              b"transfer-encoding", b"upgrade", b"host", b"content-length"}
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


def create_app(upstream: str, delay_seconds: float) -> Starlette:
    client = httpx.AsyncClient(base_url=upstream, timeout=httpx.Timeout(None),
                               limits=httpx.Limits(max_connections=None, max_keepalive_connections=256))

    async def forward(request: Request) -> StreamingResponse:
        await asyncio.sleep(delay_seconds)
        headers = [(name, value) for name, value in request.headers.raw if name.lower() not in HOP_BY_HOP]
        outgoing = client.build_request(request.method, request.url.path, params=request.url.query.encode(),
                                        headers=headers, content=await request.body())
        answer = await client.send(outgoing, stream=True)
        relayed = StreamingResponse(answer.aiter_raw(), status_code=answer.status_code,
                                    background=BackgroundTask(answer.aclose))
        relayed.raw_headers = [(name, value) for name, value in answer.headers.raw
                               if name.lower() not in HOP_BY_HOP or name.lower() == b"content-length"]
        return relayed

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):
        yield
        await client.aclose()

    return Starlette(routes=[Route("/{path:path}", forward, methods=METHODS)], lifespan=lifespan)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--upstream", required=True, help="origin to forward to, e.g. http://127.0.0.1:8765")
    parser.add_argument("--delay-ms", type=float, default=200.0, help="added before each request (default 200)")
    parser.add_argument("--port", type=int, default=0, help="port to listen on (default: a free one)")
    args = parser.parse_args()
    # IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY only on sockets that say TCP (no 40 ms delayed-ACK stalls).
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", args.port))
    sock.listen(256)
    print(f"port {sock.getsockname()[1]}", flush=True)
    config = uvicorn.Config(create_app(args.upstream.rstrip("/"), args.delay_ms / 1000), log_level="warning",
                            access_log=False, lifespan="on", server_header=False,
                            date_header=False)  # the upstream's own are relayed
    uvicorn.Server(config).run(sockets=[sock])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
