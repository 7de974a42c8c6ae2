"""The reference gateway behind a path-rewriting front: the Responses API at
`/responses` on the origin, everything else where it was (`/v1/chat/completions`,
`/v1/models`, `/v1/directory/models`, `/v1/assets/`), and `/v1/responses` gone
(404), as some gateways lay out their routes. For tests of `paths:` and of
`profile init`, which also read how many requests arrived."""

from __future__ import annotations

import socket
import threading
import time

import uvicorn

from respcheck.reference.app import DEFAULT_API_KEY, create_app


def _rewriting(app, gateway):
    async def front(scope, receive, send):
        if scope["type"] == "http":
            gateway.requests += 1
        if scope["type"] == "http" and gateway.split:
            path = scope["path"]
            if path.startswith("/v1/responses"):
                path = "/v1/no-such-route"  # the gateway does not serve it here
            elif path == "/responses" or path.startswith("/responses/"):
                path = "/v1" + path
            scope = {**scope, "path": path, "raw_path": path.encode("ascii")}
        await app(scope, receive, send)
    return front


class SplitPathGateway:
    """`split=False`: the plain reference layout, only counting requests; `stateful`: its stateful mode."""

    def __init__(self, faults=(), split: bool = True, stateful: bool = False):
        self.app = create_app([DEFAULT_API_KEY], faults, stateful=stateful)
        self.split = split
        self.requests = 0  # HTTP requests received
        self.api_key = DEFAULT_API_KEY
        self.origin = ""

    def __enter__(self) -> "SplitPathGateway":
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.bind(("127.0.0.1", 0))
        config = uvicorn.Config(_rewriting(self.app, self), log_level="warning", access_log=False, lifespan="off",
                                log_config=None)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [sock]}, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the split-path gateway did not start")
            time.sleep(0.01)
        self._socket = sock
        self.origin = f"http://127.0.0.1:{sock.getsockname()[1]}"
        return self

    def __exit__(self, *exc_info) -> None:
        self.app.state.stopping.set()
        self._server.should_exit = True
        self._thread.join(10)
        self._socket.close()
