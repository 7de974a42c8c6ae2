"""Run the reference gateway on a loopback port in a background thread.

Used by the suite when no base URL is given and by the project's tests, which
start it many times in one process: so no signal handlers (uvicorn installs
none off the main thread), no global logging configuration, and a socket we
bind ourselves so port 0 yields a free port we can read back.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterable

import uvicorn

from .app import DEFAULT_API_KEY, create_app
from .faults import validate_faults

START_TIMEOUT = 10.0
STOP_TIMEOUT = 10.0


class ReferenceServer:
    """`with ReferenceServer(faults=["usage_missing"]) as server: ... server.base_url ...`"""

    def __init__(
        self,
        api_keys: Iterable[str] = (DEFAULT_API_KEY,),
        faults: Iterable[str] = (),
        host: str = "127.0.0.1",
        port: int = 0,
        stateful: bool = False,
    ):
        self.faults = validate_faults(faults)
        self.api_keys = [api_keys] if isinstance(api_keys, str) else list(api_keys)
        self.host = host
        self.requested_port = port
        self.stateful = stateful  # serve the stored-response API (app.create_app)
        self.port: int | None = None
        self._server: uvicorn.Server | None = None
        self._app = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None

    @property
    def base_url(self) -> str:
        if self.port is None:
            raise RuntimeError("ReferenceServer is not started")
        host = f"[{self.host}]" if ":" in self.host else self.host  # IPv6 literal
        return f"http://{host}:{self.port}/v1"

    def start(self) -> ReferenceServer:
        if self._thread is not None:
            raise RuntimeError("ReferenceServer is already started")
        _import_lazy_modules()
        # proto must be IPPROTO_TCP (not 0): asyncio only sets TCP_NODELAY on accepted sockets
        # whose proto says TCP, and without it every response stalls ~40 ms on delayed ACKs.
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.host, self.requested_port))
        except OSError as exc:
            sock.close()
            raise RuntimeError(f"cannot bind the reference gateway to {self.host}:{self.requested_port}: {exc}") from exc
        app = create_app(self.api_keys, self.faults, stateful=self.stateful)
        config = uvicorn.Config(
            app,
            log_level="warning",
            access_log=False,
            lifespan="off",
            log_config=None,  # leave the host process's (pytest's) logging alone
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]},
                                  name="respcheck-reference", daemon=True)
        self._server, self._thread, self._socket, self._app = server, thread, sock, app
        thread.start()

        deadline = time.monotonic() + START_TIMEOUT
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the reference gateway did not start within {START_TIMEOUT:.0f} s "
                                   f"on {self.host}:{self.requested_port}")
            time.sleep(0.01)
        self.port = sock.getsockname()[1]
        return self

    def stop(self) -> None:
        if self._app is not None:
            self._app.state.stopping.set()  # a stalled stream (stream_stall) ends now, not in 10 s
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(STOP_TIMEOUT)
        if self._socket is not None:
            self._socket.close()
        self._server = self._thread = self._socket = self._app = None
        self.port = None

    def __enter__(self) -> ReferenceServer:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()


def _import_lazy_modules() -> None:
    """Import here, on the caller's thread, what the server thread would
    otherwise import on its first streamed answer (anyio's task machinery).
    Under pytest such an import goes through the assertion rewriter's
    ast.parse, and CPython 3.11's ast.parse is not safe on two threads at
    once (SystemError: AST constructor recursion depth mismatch): a case
    thread importing at the same moment made the gateway answer 500."""
    import anyio._core._synchronization  # noqa: F401
    import anyio._core._tasks  # noqa: F401
