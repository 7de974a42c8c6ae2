"""A deliberately hostile HTTP/1.1 server for the transport tests.

Raw sockets and one thread per connection, so every byte (and every silence)
is under the test's control. `GET /v1/models` answers 200 with an empty list
(the reachability probe passes) unless the mode is a `probe_*` one;
`POST /v1/responses` misbehaves the way the mode says:

    stall         read the request, never answer
    stall_body    status and headers (Content-Length: 500), 10 bytes, then silence
    drip          200 application/json, chunked, one byte every 0.3 s forever
    drip_headers  the status line, then one header byte every 0.3 s forever
    garbage       bytes that are not HTTP, then close
    cut           Content-Length: 1000, 20 bytes of body, then close
    html          200 text/html with an HTML page
    not_json      200 application/json whose body is HTML
    empty_500     500 with an empty body
    huge          200 application/json far larger than any sane limit (64 KiB
                  chunks until the client hangs up or 200 MiB were written)
    probe_stall   the /models probe itself never answers
    probe_drip    /models answers 200 and headers, then drips its body forever
                  (POST /responses answers a plain 500 in both probe modes)

Every loop waits in ticks of TICK seconds and checks the stop flag, so
leaving the context manager ends every thread; `__exit__` checks that they did.
"""

from __future__ import annotations

import json
import socket
import threading
import time

MODES = ("stall", "stall_body", "drip", "drip_headers", "garbage", "cut", "html", "not_json", "empty_500",
         "huge", "probe_stall", "probe_drip")

TICK = 0.05
DRIP_EVERY = 0.3
HUGE_CHUNK = 64 * 1024
HUGE_TOTAL = 200 * 1024 * 1024
MAX_HEAD = 64 * 1024
MODELS_BODY = json.dumps({"object": "list", "data": []}).encode()
HTML_PAGE = b"<!doctype html>\n<html><head><title>Gateway</title></head><body><h1>Welcome</h1></body></html>\n"


class ClientGone(Exception):
    """The peer closed the connection, or the server is stopping."""


class HostileServer:
    def __init__(self, mode: str):
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}; modes: {', '.join(MODES)}")
        self.mode = mode
        self.requests: list[tuple[str, str]] = []  # (method, path) as received
        self.errors: list[str] = []  # unexpected exceptions in server threads
        self.bytes_sent = 0  # body bytes of the `huge` answer
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._listener: socket.socket | None = None
        self.port = 0

    # -- lifecycle ---------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def __enter__(self) -> HostileServer:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        listener.settimeout(TICK)
        self._listener = listener
        self.port = listener.getsockname()[1]
        self._spawn(self._accept_loop, "hostile-accept")
        return self

    def stop(self) -> None:
        """Ask every thread to end; held connections are closed, so a client
        still waiting on one gets an end of stream. Safe from any thread."""
        self._stop.set()

    def __exit__(self, *exc_info) -> None:
        self.stop()
        deadline = time.monotonic() + 5.0
        for thread in list(self._threads):
            thread.join(max(0.0, deadline - time.monotonic()))
        if self._listener is not None:
            self._listener.close()
        alive = [t.name for t in self._threads if t.is_alive()]
        if alive and exc_info[0] is None:
            raise RuntimeError(f"hostile server threads still running: {alive}")

    def alive_threads(self) -> list[str]:
        return [t.name for t in self._threads if t.is_alive()]

    def _spawn(self, target, name: str, *args) -> None:
        thread = threading.Thread(target=self._guard, args=(target, *args), name=name, daemon=True)
        with self._lock:
            self._threads.append(thread)
        thread.start()

    def _guard(self, target, *args) -> None:
        try:
            target(*args)
        except ClientGone:
            pass
        except Exception as exc:  # recorded for the test to see, never raised in a thread
            self.errors.append(f"{type(exc).__name__}: {exc}")

    def _accept_loop(self) -> None:
        assert self._listener is not None
        count = 0
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            count += 1
            self._spawn(self._connection, f"hostile-conn-{count}", conn)

    # -- byte level helpers ------------------------------------------------

    def _recv(self, conn: socket.socket) -> bytes:
        while True:
            if self._stop.is_set():
                raise ClientGone
            try:
                data = conn.recv(65536)
            except socket.timeout:
                continue
            except OSError:
                raise ClientGone from None
            if not data:
                raise ClientGone
            return data

    def _send(self, conn: socket.socket, data: bytes) -> None:
        view = memoryview(data)
        while view:
            if self._stop.is_set():
                raise ClientGone
            try:
                sent = conn.send(view)
            except socket.timeout:
                continue
            except OSError:
                raise ClientGone from None
            view = view[sent:]

    def _hold(self) -> None:
        """Keep the connection open, saying nothing, until the server stops."""
        self._stop.wait()
        raise ClientGone

    def _pause(self, seconds: float) -> None:
        if self._stop.wait(seconds):
            raise ClientGone

    def _answer(self, conn: socket.socket, status: str, content_type: str | None, body: bytes,
                close: bool = False) -> None:
        head = [f"HTTP/1.1 {status}", f"Content-Length: {len(body)}"]
        if content_type:
            head.append(f"Content-Type: {content_type}")
        if close:
            head.append("Connection: close")
        self._send(conn, ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body)

    # -- one connection ----------------------------------------------------

    def _connection(self, conn: socket.socket) -> None:
        conn.settimeout(TICK)
        try:
            buffer = b""
            while not self._stop.is_set():
                while b"\r\n\r\n" not in buffer:
                    if len(buffer) > MAX_HEAD:
                        return
                    buffer += self._recv(conn)
                head, buffer = buffer.split(b"\r\n\r\n", 1)
                lines = head.decode("latin-1").split("\r\n")
                method, path, _ = (lines[0].split(" ", 2) + ["", ""])[:3]
                headers = {}
                for line in lines[1:]:
                    name, _, value = line.partition(":")
                    headers[name.strip().lower()] = value.strip()
                length = int(headers.get("content-length") or 0)
                while len(buffer) < length:
                    buffer += self._recv(conn)
                buffer = buffer[length:]
                self.requests.append((method, path))
                if not self._respond(conn, method, path.split("?", 1)[0]):
                    return
        finally:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            conn.close()

    def _respond(self, conn: socket.socket, method: str, path: str) -> bool:
        """Answer one request; True to keep the connection for the next one."""
        if method == "GET" and path.endswith("/models"):
            if self.mode == "probe_stall":
                self._hold()
            if self.mode == "probe_drip":
                self._send(conn, b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                 b"Transfer-Encoding: chunked\r\n\r\n")
                self._drip_chunks(conn)
            self._answer(conn, "200 OK", "application/json", MODELS_BODY)
            return True
        if not (method == "POST" and path.endswith("/responses")):
            self._answer(conn, "404 Not Found", "application/json",
                         b'{"error": {"message": "not here", "type": "not_found_error", "code": null, "param": null}}')
            return True
        getattr(self, "_mode_" + self.mode.replace("probe_stall", "probe").replace("probe_drip", "probe"))(conn)
        return False

    def _drip_chunks(self, conn: socket.socket) -> None:
        payload = b'{"object": "response", "pad": "'
        n = 0
        while True:
            byte = payload[n:n + 1] or b" "
            self._send(conn, b"1\r\n" + byte + b"\r\n")
            n += 1
            self._pause(DRIP_EVERY)

    # -- POST /responses, by mode ----------------------------------------

    def _mode_probe(self, conn: socket.socket) -> None:
        self._answer(conn, "500 Internal Server Error", None, b"", close=True)

    def _mode_stall(self, conn: socket.socket) -> None:
        self._hold()

    def _mode_stall_body(self, conn: socket.socket) -> None:
        self._send(conn, b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n"
                         b'{"id": "re')
        self._hold()

    def _mode_drip(self, conn: socket.socket) -> None:
        self._send(conn, b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
        self._drip_chunks(conn)

    def _mode_drip_headers(self, conn: socket.socket) -> None:
        self._send(conn, b"HTTP/1.1 200 OK\r\n")
        while True:
            self._send(conn, b"X")
            self._pause(DRIP_EVERY)

    def _mode_garbage(self, conn: socket.socket) -> None:
        self._send(conn, b"\x00\xffhello garbage\r\n\r\n")

    def _mode_cut(self, conn: socket.socket) -> None:
        self._send(conn, b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
                         b'{"id": "resp_cut", "')

    def _mode_html(self, conn: socket.socket) -> None:
        self._answer(conn, "200 OK", "text/html; charset=utf-8", HTML_PAGE, close=True)

    def _mode_not_json(self, conn: socket.socket) -> None:
        self._answer(conn, "200 OK", "application/json", b"<html>oops</html>", close=True)

    def _mode_empty_500(self, conn: socket.socket) -> None:
        self._answer(conn, "500 Internal Server Error", None, b"", close=True)

    def _mode_huge(self, conn: socket.socket) -> None:
        self._send(conn, f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                         f"Content-Length: {HUGE_TOTAL}\r\n\r\n".encode())
        chunk = b'{"pad": "' + b"x" * (HUGE_CHUNK - 9)
        filler = b"x" * HUGE_CHUNK
        while self.bytes_sent < HUGE_TOTAL:
            self._send(conn, chunk if self.bytes_sent == 0 else filler)
            self.bytes_sent += HUGE_CHUNK
