r"""A deliberately hostile HTTP/1.1 server for the transport tests.

Raw sockets and one thread per connection, so every byte (and every silence)
is under the test's control. `GET /v1/models` answers 200 with an empty list
(the reachability probe passes) unless the mode is a `probe_*` one;
`POST /v1/responses` (and `POST /v1/chat/completions` alike, so a whole
suite run meets the mode in every case) misbehaves the way the mode says:

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

For issue 10 (their bodies are built in tests/hostile_payloads.py):

    drip_stream_headers  a "stream": true request gets the status line, then
                  one header byte a second forever; others a valid Response
    stop_after_probe  GET /models answers 200 until the first POST; from then
                  on every request is read and never answered
    gigabyte      200 application/json, Content-Length 1 GiB (one valid JSON
                  object), sent as fast as the client reads
    endless_stream  200 text/event-stream: response.created, in_progress, the
                  item openings, then output_text.delta events forever
                  (sequence_number keeps increasing) until the client hangs up
    big_event     200 text/event-stream whose first event is one 50 MB `data:`
                  line (valid JSON), then a normal stream to response.completed
    deep_json     200 application/json nested 100,000 levels deep
    non_finite    200 a valid Response but `"created_at": 1e999`
    dup_keys      200 a valid Response with `"status"` twice
    control_bytes  400 JSON error envelope whose message holds ESC sequences
                  (title, clear screen, OSC 52 clipboard) and a NUL as \u
                  escapes, and a raw C1 CSI and DEL
    control_bytes_plain  400 text/plain with those controls as raw bytes
    redirect      307, Location: http://127.0.0.1:1/elsewhere, empty body
    keepalive_close_after_error  keep-alive: a connection's first POST gets a
                  400 envelope and stays open; the next POST on it is read and
                  the connection closed unanswered; the first POST after such
                  a drop (a retry, on a fresh connection) gets a valid Response
    echo_key      200 a valid Response whose output text repeats the request's
                  Authorization value: plain, JSON-escaped (\u002d, \/),
                  URL-encoded, base64 (of the value and of the bare token)
    echo_key_gzip  the same, gzip-compressed (Content-Encoding: gzip)

Every loop waits in ticks of TICK seconds and checks the stop flag, so
leaving the context manager ends every thread; `__exit__` checks that they did.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from dataclasses import dataclass

import hostile_payloads as payloads

MODES = ("stall", "stall_body", "drip", "drip_headers", "garbage", "cut", "html", "not_json", "empty_500",
         "huge", "probe_stall", "probe_drip",
         # issue 10
         "drip_stream_headers", "stop_after_probe", "gigabyte", "endless_stream", "big_event", "deep_json",
         "non_finite", "dup_keys", "control_bytes", "control_bytes_plain", "redirect",
         "keepalive_close_after_error", "echo_key", "echo_key_gzip")

TICK = 0.05
DRIP_EVERY = 0.3
SLOW_DRIP_EVERY = 1.0  # drip_stream_headers: one header byte a second
HUGE_CHUNK = 64 * 1024
HUGE_TOTAL = 200 * 1024 * 1024
FILL_CHUNK = 256 * 1024  # pieces of the gigabyte and big_event fillers
DELTAS_PER_WRITE = 500  # endless_stream: frames per send (about 80 KiB)
REDIRECT_TO = "http://127.0.0.1:1/elsewhere"
REQUEST_ID = "X-Request-ID: req_hostile"  # on the valid answers, so a case can pass against them
MAX_HEAD = 64 * 1024
MODELS_BODY = json.dumps({"object": "list", "data": []}).encode()
HTML_PAGE = b"<!doctype html>\n<html><head><title>Gateway</title></head><body><h1>Welcome</h1></body></html>\n"


class ClientGone(Exception):
    """The peer closed the connection, or the server is stopping."""


@dataclass
class Request:
    method: str
    path: str  # without the query
    headers: dict[str, str]  # names lower-cased
    body: bytes
    connection: dict  # state a mode keeps for the connection the request came on

    def json(self) -> dict:
        try:
            value = json.loads(self.body)
        except ValueError:
            return {}
        return value if isinstance(value, dict) else {}


class HostileServer:
    def __init__(self, mode: str):
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}; modes: {', '.join(MODES)}")
        self.mode = mode
        self.requests: list[tuple[str, str]] = []  # (method, path) as received
        self.errors: list[str] = []  # unexpected exceptions in server threads
        self.bytes_sent = 0  # body bytes of the `huge`, `gigabyte` and `endless_stream` answers
        self.posts = 0  # POST requests received
        self.dropped = 0  # keepalive_close_after_error: connections closed on a request
        self._retry_owed = False  # keepalive_close_after_error: the next fresh POST is answered
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
        listener.listen(128)  # room for the concurrent runs of issue 11
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
                close: bool = False, extra: tuple[str, ...] = ()) -> None:
        head = [f"HTTP/1.1 {status}", f"Content-Length: {len(body)}", *extra]
        if content_type:
            head.append(f"Content-Type: {content_type}")
        if close:
            head.append("Connection: close")
        self._send(conn, ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body)

    # -- one connection ----------------------------------------------------

    def _connection(self, conn: socket.socket) -> None:
        conn.settimeout(TICK)
        try:
            buffer, state = b"", {}
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
                body, buffer = buffer[:length], buffer[length:]
                self.requests.append((method, path))
                if not self._respond(conn, Request(method, path.split("?", 1)[0], headers, body, state)):
                    return
        finally:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            conn.close()

    def _respond(self, conn: socket.socket, request: Request) -> bool:
        """Answer one request; True to keep the connection for the next one."""
        method, path = request.method, request.path
        if self.mode == "stop_after_probe" and self.posts:
            self._hold()
        if method == "POST":
            with self._lock:
                self.posts += 1
        if method == "GET" and path.endswith("/models"):
            if self.mode == "probe_stall":
                self._hold()
            if self.mode == "probe_drip":
                self._send(conn, b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                 b"Transfer-Encoding: chunked\r\n\r\n")
                self._drip_chunks(conn)
            self._answer(conn, "200 OK", "application/json", MODELS_BODY)
            return True
        if not (method == "POST" and path.endswith(("/responses", "/chat/completions"))):
            self._answer(conn, "404 Not Found", "application/json",
                         b'{"error": {"message": "not here", "type": "not_found_error", "code": null, "param": null}}')
            return True
        handler = getattr(self, "_mode_" + self.mode.replace("probe_stall", "probe").replace("probe_drip", "probe"))
        return bool(handler(conn, request))

    def _drip_chunks(self, conn: socket.socket) -> None:
        payload = b'{"object": "response", "pad": "'
        n = 0
        while True:
            byte = payload[n:n + 1] or b" "
            self._send(conn, b"1\r\n" + byte + b"\r\n")
            n += 1
            self._pause(DRIP_EVERY)

    # -- POST /responses, by mode ----------------------------------------

    def _mode_probe(self, conn: socket.socket, request: Request) -> None:
        self._answer(conn, "500 Internal Server Error", None, b"", close=True)

    def _mode_stall(self, conn: socket.socket, request: Request) -> None:
        self._hold()

    def _mode_stall_body(self, conn: socket.socket, request: Request) -> None:
        self._send(conn, b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n"
                         b'{"id": "re')
        self._hold()

    def _mode_drip(self, conn: socket.socket, request: Request) -> None:
        self._send(conn, b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
        self._drip_chunks(conn)

    def _mode_drip_headers(self, conn: socket.socket, request: Request) -> None:
        self._send(conn, b"HTTP/1.1 200 OK\r\n")
        while True:
            self._send(conn, b"X")
            self._pause(DRIP_EVERY)

    def _mode_garbage(self, conn: socket.socket, request: Request) -> None:
        self._send(conn, b"\x00\xffhello garbage\r\n\r\n")

    def _mode_cut(self, conn: socket.socket, request: Request) -> None:
        self._send(conn, b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
                         b'{"id": "resp_cut", "')

    def _mode_html(self, conn: socket.socket, request: Request) -> None:
        self._answer(conn, "200 OK", "text/html; charset=utf-8", HTML_PAGE, close=True)

    def _mode_not_json(self, conn: socket.socket, request: Request) -> None:
        self._answer(conn, "200 OK", "application/json", b"<html>oops</html>", close=True)

    def _mode_empty_500(self, conn: socket.socket, request: Request) -> None:
        self._answer(conn, "500 Internal Server Error", None, b"", close=True)

    def _mode_huge(self, conn: socket.socket, request: Request) -> None:
        self._send(conn, f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                         f"Content-Length: {HUGE_TOTAL}\r\n\r\n".encode())
        chunk = b'{"pad": "' + b"x" * (HUGE_CHUNK - 9)
        filler = b"x" * HUGE_CHUNK
        while self.bytes_sent < HUGE_TOTAL:
            self._send(conn, chunk if self.bytes_sent == 0 else filler)
            self.bytes_sent += HUGE_CHUNK


    # -- the issue 10 modes (time, memory, strict JSON, terminals, secrets) --

    def _valid(self, conn: socket.socket, close: bool = True) -> None:
        self._answer(conn, "200 OK", "application/json", payloads.dumps(payloads.response()), close=close,
                     extra=(REQUEST_ID,))

    def _fill(self, conn: socket.socket, length: int, count: bool = False) -> None:
        """`length` bytes of `x`, in pieces, as fast as the client reads."""
        piece = b"x" * FILL_CHUNK
        while length > 0:
            part = piece if length >= FILL_CHUNK else piece[:length]
            self._send(conn, part)
            length -= len(part)
            if count:
                self.bytes_sent += len(part)

    def _mode_drip_stream_headers(self, conn: socket.socket, request: Request) -> None:
        if request.json().get("stream") is not True:
            self._valid(conn)
            return
        self._send(conn, b"HTTP/1.1 200 OK\r\n")
        while True:  # a header line that never ends
            self._send(conn, b"X")
            self._pause(SLOW_DRIP_EVERY)

    def _mode_stop_after_probe(self, conn: socket.socket, request: Request) -> None:
        self._hold()

    def _mode_gigabyte(self, conn: socket.socket, request: Request) -> None:
        prefix, filler, suffix = payloads.gigabyte_parts()
        self._send(conn, f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n"
                         f"Content-Length: {payloads.GIB}\r\n\r\n".encode() + prefix)
        self._fill(conn, filler, count=True)
        self._send(conn, suffix)

    def _event_stream_head(self, conn: socket.socket) -> None:
        # No Content-Length and no chunking: the body ends when the connection does.
        self._send(conn, b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
                         + REQUEST_ID.encode() + b"\r\nConnection: close\r\n\r\n")

    def _mode_endless_stream(self, conn: socket.socket, request: Request) -> None:
        self._event_stream_head(conn)
        self._send(conn, payloads.endless_stream_head())
        sequence = 4
        while True:
            batch = payloads.endless_deltas(sequence, DELTAS_PER_WRITE)
            self._send(conn, batch)
            self.bytes_sent += len(batch)
            sequence += DELTAS_PER_WRITE

    def _mode_big_event(self, conn: socket.socket, request: Request) -> None:
        prefix, filler, suffix = payloads.big_event_parts()
        self._event_stream_head(conn)
        self._send(conn, prefix)
        self._fill(conn, filler)
        self._send(conn, suffix + payloads.big_event_rest())

    def _mode_deep_json(self, conn: socket.socket, request: Request) -> None:
        self._answer(conn, "200 OK", "application/json", payloads.deep_json(), close=True)

    def _mode_non_finite(self, conn: socket.socket, request: Request) -> None:
        self._answer(conn, "200 OK", "application/json", payloads.non_finite(), close=True)

    def _mode_dup_keys(self, conn: socket.socket, request: Request) -> None:
        self._answer(conn, "200 OK", "application/json", payloads.dup_keys(), close=True)

    def _mode_control_bytes(self, conn: socket.socket, request: Request) -> None:
        self._answer(conn, "400 Bad Request", "application/json", payloads.control_bytes_json(), close=True)

    def _mode_control_bytes_plain(self, conn: socket.socket, request: Request) -> None:
        self._answer(conn, "400 Bad Request", "text/plain; charset=utf-8", payloads.control_bytes_plain(),
                     close=True)

    def _mode_redirect(self, conn: socket.socket, request: Request) -> None:
        self._answer(conn, "307 Temporary Redirect", None, b"", close=True, extra=(f"Location: {REDIRECT_TO}",))

    def _mode_keepalive_close_after_error(self, conn: socket.socket, request: Request) -> bool:
        with self._lock:
            retry, self._retry_owed = self._retry_owed, False
        if retry:
            self._valid(conn, close=False)
            request.connection["last"] = "valid"
            return True
        if request.connection.get("last") != "error":
            self._answer(conn, "400 Bad Request", "application/json",
                         payloads.error_envelope("Bad request (the connection stays open)."), extra=(REQUEST_ID,))
            request.connection["last"] = "error"
            return True
        with self._lock:
            self.dropped += 1
            self._retry_owed = True
        return False  # closed without an answer

    def _mode_echo_key(self, conn: socket.socket, request: Request) -> None:
        body = payloads.echo_key(request.headers.get("authorization", ""))
        self._answer(conn, "200 OK", "application/json", body, close=True, extra=(REQUEST_ID,))

    def _mode_echo_key_gzip(self, conn: socket.socket, request: Request) -> None:
        body = payloads.echo_key_gzip(request.headers.get("authorization", ""))
        self._answer(conn, "200 OK", "application/json", body, close=True,
                     extra=("Content-Encoding: gzip", REQUEST_ID))
