"""tests/hostile_server.py's issue-10 modes do what their docstring says.

Checked with httpx or a raw socket, never through the suite, so a change in
respcheck cannot make a mode look right. Every wait is bounded by WAIT
seconds; nothing depends on how fast the machine is (a drip is checked as
"not finished after a while", never as "one byte per second").
"""

from __future__ import annotations

import base64
import gzip
import json
import socket
import time
import urllib.parse

import httpx
import pytest
from hostile_payloads import BIG_EVENT_BYTES, GIB, RESPONSE_TEXT
from hostile_server import REDIRECT_TO, HostileServer

WAIT = 5.0  # the longest any single read may wait
SECRET = "Bearer sk-hostile/secret-123"
POST_BODY = {"model": "m", "input": "hi"}


def client(server: HostileServer) -> httpx.Client:
    return httpx.Client(base_url=server.base_url, timeout=WAIT)


def raw_post(sock: socket.socket, body: dict, path: str = "/v1/responses") -> None:
    data = json.dumps(body).encode()
    sock.sendall(f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                 f"Content-Length: {len(data)}\r\n\r\n".encode() + data)


def read_answer(sock: socket.socket) -> tuple[bytes, bytes]:
    """One answer with a Content-Length: (head, body)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, f"the server closed the connection after {data!r}"
        data += chunk
    head, body = data.split(b"\r\n\r\n", 1)
    length = int(next(line.split(b":", 1)[1] for line in head.split(b"\r\n")
                      if line.lower().startswith(b"content-length:")))
    while len(body) < length:
        chunk = sock.recv(65536)
        assert chunk, "the server closed the connection mid-body"
        body += chunk
    return head, body


def connect(server: HostileServer) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=WAIT)
    return sock


def events(lines) -> list[dict]:
    return [json.loads(line[len("data: "):]) for line in lines if line.startswith("data: ")]


def test_drip_stream_headers_never_finishes_the_head_of_a_stream():
    with HostileServer("drip_stream_headers") as server:
        with connect(server) as sock:
            raw_post(sock, {**POST_BODY, "stream": True})
            sock.settimeout(0.5)
            received, deadline = b"", time.monotonic() + 3.0
            while time.monotonic() < deadline:
                try:
                    received += sock.recv(1024)
                except socket.timeout:
                    pass
            assert received.startswith(b"HTTP/1.1 200 OK\r\nX")
            assert b"\r\n\r\n" not in received  # still in the headers after 3 s
        # A request without "stream": true gets a valid Response at once.
        with client(server) as http:
            answer = http.post("/responses", json=POST_BODY)
        assert answer.status_code == 200
        assert answer.json()["output"][0]["content"][0]["text"] == RESPONSE_TEXT


def test_stop_after_probe_answers_the_probe_then_nothing():
    with HostileServer("stop_after_probe") as server, httpx.Client(base_url=server.base_url, timeout=1.0) as http:
        assert http.get("/models").status_code == 200
        with pytest.raises(httpx.ReadTimeout):
            http.post("/responses", json=POST_BODY)
        with pytest.raises(httpx.ReadTimeout):
            http.get("/models")
        server.stop()
    assert server.requests == [("GET", "/v1/models"), ("POST", "/v1/responses"), ("GET", "/v1/models")]


def test_gigabyte_announces_a_gibibyte_and_stops_when_the_client_hangs_up():
    with HostileServer("gigabyte") as server, client(server) as http:
        with http.stream("POST", "/responses", json=POST_BODY) as answer:
            assert answer.status_code == 200
            assert answer.headers["content-length"] == str(GIB)
            assert answer.headers["content-type"] == "application/json"
            read = b""
            for chunk in answer.iter_raw():
                read += chunk
                if len(read) > 4 * 1024 * 1024:
                    break
        assert read.startswith(b'{"object": "response", "pad": "xxx')
    assert server.bytes_sent < GIB // 4


def test_endless_stream_sends_valid_numbered_deltas_until_the_client_hangs_up():
    with HostileServer("endless_stream") as server, client(server) as http:
        with http.stream("POST", "/chat/completions", json={**POST_BODY, "stream": True}) as answer:
            assert answer.headers["content-type"] == "text/event-stream"
            lines = []
            for line in answer.iter_lines():
                lines.append(line)
                if len(lines) >= 3 * 5000:  # 5000 events
                    break
    got = events(lines)
    assert [event["type"] for event in got[:4]] == [
        "response.created", "response.in_progress", "response.output_item.added", "response.content_part.added"]
    assert {event["type"] for event in got[4:]} == {"response.output_text.delta"}
    assert [event["sequence_number"] for event in got] == list(range(len(got)))
    assert len(got) >= 4990


def test_big_event_is_one_50_mb_data_line_then_a_normal_stream():
    with HostileServer("big_event") as server, client(server) as http:
        answer = http.post("/responses", json={**POST_BODY, "stream": True})
    lines = answer.text.split("\n")
    assert lines[0] == "event: response.created"
    assert len(lines[1].encode()) == BIG_EVENT_BYTES
    got = events(lines)
    assert got[0]["type"] == "response.created" and len(got[0]["response"]["instructions"]) > 49_000_000
    assert got[-1]["type"] == "response.completed"
    assert got[-1]["response"]["output"][0]["content"][0]["text"] == RESPONSE_TEXT
    assert [event["sequence_number"] for event in got] == list(range(len(got)))


def test_deep_json_nests_100000_levels():
    with HostileServer("deep_json") as server, client(server) as http:
        answer = http.post("/responses", json=POST_BODY)
    assert answer.status_code == 200
    assert b"[" * 100_000 + b"]" * 100_000 in answer.content
    with pytest.raises(RecursionError):
        json.loads(answer.content)


def test_non_finite_and_dup_keys_bend_json_the_lax_way():
    with HostileServer("non_finite") as server, client(server) as http:
        body = http.post("/responses", json=POST_BODY).content
    assert b'"created_at": 1e999' in body
    assert json.loads(body)["created_at"] == float("inf")
    with HostileServer("dup_keys") as server, client(server) as http:
        body = http.post("/responses", json=POST_BODY).content
    pairs = json.loads(body, object_pairs_hook=lambda pairs: pairs)
    assert [key for key, _ in pairs].count("status") == 2
    assert json.loads(body)["status"] == "completed"  # what a last-wins parser sees


def test_control_bytes_carry_terminal_escapes():
    with HostileServer("control_bytes") as server, client(server) as http:
        answer = http.post("/responses", json=POST_BODY)
    assert answer.status_code == 400 and answer.headers["content-type"] == "application/json"
    assert b"\\u001b]0;pwned\\u0007" in answer.content and b"\\u0000" in answer.content
    assert "\u009b".encode() in answer.content and b"\x7f" in answer.content  # raw, legal in JSON
    message = answer.json()["error"]["message"]
    for control in ("\x1b]0;pwned\x07", "\x1b[2J", "\x1b]52;c;", "\x00"):
        assert control in message
    with HostileServer("control_bytes_plain") as server, client(server) as http:
        answer = http.post("/responses", json=POST_BODY)
    assert answer.status_code == 400 and answer.headers["content-type"].startswith("text/plain")
    for control in (b"\x1b]0;pwned\x07", b"\x1b[2J", b"\x1b]52;c;", b"\x00"):
        assert control in answer.content


def test_redirect_points_elsewhere_with_an_empty_body():
    with HostileServer("redirect") as server, client(server) as http:
        answer = http.post("/responses", json=POST_BODY)
    assert answer.status_code == 307
    assert answer.headers["location"] == REDIRECT_TO
    assert answer.content == b""


def test_keepalive_close_after_error_drops_the_next_request_on_that_connection():
    with HostileServer("keepalive_close_after_error") as server:
        with connect(server) as sock:
            raw_post(sock, POST_BODY)
            head, body = read_answer(sock)
            assert head.startswith(b"HTTP/1.1 400 ") and b"connection: close" not in head.lower()
            assert json.loads(body)["error"]["type"] == "invalid_request_error"
            raw_post(sock, POST_BODY)  # the same connection, kept alive
            assert sock.recv(65536) == b""  # closed, unanswered
        assert server.dropped == 1
        with connect(server) as sock:  # the retry, on a fresh connection
            raw_post(sock, POST_BODY)
            head, body = read_answer(sock)
            assert head.startswith(b"HTTP/1.1 200 ")
            assert json.loads(body)["output"][0]["content"][0]["text"] == RESPONSE_TEXT
            raw_post(sock, POST_BODY)  # the cycle starts again on this connection
            assert read_answer(sock)[0].startswith(b"HTTP/1.1 400 ")


def echoed_forms(authorization: str) -> list[bytes]:
    token = authorization.split(" ", 1)[1]
    return [authorization.encode(), b"sk\\u002dhostile\\/secret\\u002d123",
            urllib.parse.quote(authorization, safe="").encode(), base64.b64encode(authorization.encode()),
            base64.b64encode(token.encode())]


@pytest.mark.parametrize("mode", ["echo_key", "echo_key_gzip"])
def test_echo_key_repeats_the_authorization_value_in_several_encodings(mode):
    with HostileServer(mode) as server, client(server) as http:
        with http.stream("POST", "/responses", json=POST_BODY, headers={"Authorization": SECRET}) as answer:
            raw = b"".join(answer.iter_raw())
    if mode == "echo_key_gzip":
        assert answer.headers["content-encoding"] == "gzip"
        assert SECRET.encode() not in raw  # only the compressed bytes went over the wire
        raw = gzip.decompress(raw)
    for form in echoed_forms(SECRET):
        assert form in raw, form
    assert json.loads(raw)["output"][0]["content"][0]["text"].startswith("plain=" + SECRET)
