"""--record / --replay at the transport level: exchanges with the reference
gateway are recorded to a directory, then replayed offline (server stopped)
byte for byte, chunk for chunk, in order; misses, secrets, port changes and
concurrent recorders."""

from __future__ import annotations

import base64
import gzip
import zlib
import json
import threading

import httpx
import pytest

from respcheck.recording import (
    RecordingTransport,
    ReplayTransport,
    clear_recording,
    exchange_files,
    read_chunks,
    replace_across_chunks,
    wrap_client_transport,
    write_index,
)
from respcheck.reference import DEFAULT_API_KEY, ReferenceServer
from respcheck.exchange.transport import bounded_transport

AUTH = {"Authorization": f"Bearer {DEFAULT_API_KEY}"}
LONG = "Reply with exactly: " + " ".join(f"word{i}" for i in range(1500))
RUN = {"run_id": "cafe0001"}


def recorder(directory, **kwargs) -> httpx.Client:
    kwargs.setdefault("variables", RUN)
    transport = RecordingTransport(bounded_transport(), directory, secrets=[DEFAULT_API_KEY], **kwargs)
    return httpx.Client(transport=transport, trust_env=False, timeout=10)


def replayer(directory, **kwargs) -> httpx.Client:
    kwargs.setdefault("variables", RUN)
    return httpx.Client(transport=ReplayTransport(directory, secrets=[DEFAULT_API_KEY], **kwargs),
                        trust_env=False, timeout=10)


def answer(client: httpx.Client, base_url: str, body: dict, headers=AUTH, path="/responses"):
    """status, headers (pairs), raw chunks as the client read them."""
    with client.stream("POST", base_url + path, json=body, headers=headers) as response:
        chunks = list(response.iter_raw())
        return response.status_code, response.headers.multi_items(), chunks


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    """One recording against a fresh gateway: what the client saw live, and the directory."""
    directory = tmp_path_factory.mktemp("recording")
    live = {}
    with ReferenceServer() as server, recorder(directory) as client:
        base = server.base_url
        live["json"] = answer(client, base, {"model": "ref-text-1", "input": "Reply with exactly: PONG"})
        live["error"] = answer(client, base, {"input": "no model"})
        live["unauthorized"] = answer(client, base, {"model": "ref-text-1", "input": "Reply with exactly: PONG"},
                                      headers={"Authorization": "Bearer rc-wrong-key-123"})
        live["sse"] = answer(client, base, {"model": "ref-text-1", "input": LONG, "stream": True})
        cache_body = {"model": "ref-text-1", "prompt_cache_key": f"respcheck-{RUN['run_id']}-cache",
                      "instructions": " ".join(["The ledger balances."] * 400), "input": "Reply with exactly: WARM"}
        live["first"] = answer(client, base, cache_body)
        live["second"] = answer(client, base, cache_body)
        live["get"] = client.get(base + "/models", params={"b": "2", "a": "1"}, headers=AUTH)
    return directory, live, base


def test_files_are_written_one_per_exchange(recorded):
    directory, _, _ = recorded
    files = exchange_files(directory)
    assert len(files) == 7
    for path in files:
        record = json.loads(path.read_text())
        assert record["format"] == "respcheck-recording/1"
        assert path.name == (f"{record['request']['method']}-"
                             f"{'v1-models' if 'models' in path.name else 'v1-responses'}-"
                             f"{record['fingerprint'][:12]}-{record['occurrence']}.json")
        assert record["response"]["complete"] is True and record["response"]["error"] is None
        assert record["recorded_at"]
    index = json.loads(write_index(directory).read_text())
    assert sum(len(e["files"]) for e in index["exchanges"].values()) == 7
    assert [f["occurrence"] for e in index["exchanges"].values() for f in e["files"] if len(e["files"]) == 2] == [1, 2]


def test_sse_stream_is_recorded_chunk_by_chunk_with_offsets(recorded):
    directory, live, _ = recorded
    status, _, chunks = live["sse"]
    assert status == 200 and len(chunks) > 2
    [path] = [p for p in exchange_files(directory)
              if '"stream":true' in (json.loads(p.read_text())["request"]["body"] or "")]
    timed = read_chunks(path)
    assert [data for _, data in timed] == chunks
    offsets = [t for t, _ in timed]
    assert offsets == sorted(offsets) and offsets[0] >= json.loads(path.read_text())["response"]["t_headers"]


def test_replay_after_the_server_stopped_is_byte_identical(recorded):
    directory, live, base = recorded
    with replayer(directory) as client:
        assert answer(client, base, {"model": "ref-text-1", "input": "Reply with exactly: PONG"}) == live["json"]
        replayed_error = answer(client, base, {"input": "no model"})
        assert replayed_error == live["error"] and replayed_error[0] == 400
        assert b'"missing_required_parameter"' in b"".join(replayed_error[2])
        sse = answer(client, base, {"model": "ref-text-1", "input": LONG, "stream": True})
        assert sse[0] == 200 and sse[2] == live["sse"][2]  # the same chunk sequence
        assert sse[1] == live["sse"][1]
        got = client.get(base + "/models", params={"a": "1", "b": "2"}, headers=AUTH)  # query order is free
        assert got.content == live["get"].content and got.status_code == live["get"].status_code


def test_auth_shape_is_part_of_the_key(recorded):
    """One body with the run's key and with a wrong key: each gets its own answer."""
    directory, live, base = recorded
    body = {"model": "ref-text-1", "input": "Reply with exactly: PONG"}
    with replayer(directory) as client:
        assert answer(client, base, body, headers={"Authorization": "Bearer rc-wrong-key-123"}) == live["unauthorized"]
        assert live["unauthorized"][0] == 401
        assert answer(client, base, body)[0] == 200


def test_identical_requests_replay_in_order(recorded):
    directory, live, base = recorded
    assert live["first"][2] != live["second"][2]  # the second one reports cached tokens
    second_usage = json.loads(b"".join(live["second"][2]))["usage"]
    assert second_usage["input_tokens_details"]["cached_tokens"] > 0
    body = {"model": "ref-text-1", "prompt_cache_key": f"respcheck-{RUN['run_id']}-cache",
            "instructions": " ".join(["The ledger balances."] * 400), "input": "Reply with exactly: WARM"}
    with replayer(directory) as client:
        assert answer(client, base, body) == live["first"]
        assert answer(client, base, body) == live["second"]
        with pytest.raises(httpx.ConnectError, match=r"occurrence #3 of an identical request but only 2 recorded"):
            answer(client, base, body)


def test_a_miss_is_a_readable_connect_error(recorded):
    directory, _, base = recorded
    with replayer(directory) as client, pytest.raises(httpx.ConnectError) as caught:
        answer(client, base, {"model": "ref-text-1", "input": "never sent"})
    message = str(caught.value)
    assert message.startswith("no recorded exchange for POST /v1/responses (fingerprint ")
    assert message.endswith(f" in {directory}")


def test_json_body_key_order_and_port_do_not_matter(recorded):
    directory, live, _ = recorded
    with replayer(directory) as client:
        other_port = "http://127.0.0.1:1/v1"
        got = answer(client, other_port, {"input": "Reply with exactly: PONG", "model": "ref-text-1"})
        assert got == live["json"]
        got = client.post("https://gateway.example/v1/responses", headers=AUTH,
                          content=b'{ "input" : "no model" }')
        assert got.status_code == 400 and got.content == b"".join(live["error"][2])


def test_the_key_is_in_no_file(recorded):
    directory, _, _ = recorded
    files = [p for p in directory.rglob("*") if p.is_file()]
    assert files
    for path in files:
        data = path.read_bytes()
        assert DEFAULT_API_KEY.encode() not in data, path
        assert base64.b64encode(DEFAULT_API_KEY.encode()) not in data
    record = json.loads(exchange_files(directory)[0].read_text())
    assert dict(record["request"]["headers"])["authorization"] == "Bearer ***"


def test_secrets_in_bodies_are_replaced_even_across_chunks(tmp_path):
    secret = "sk-very-secret-123456"

    def handler(request: httpx.Request) -> httpx.Response:
        echoed = request.content.decode()
        parts = [f'{{"you said": "{echoed[:30]}'.encode(), f'{echoed[30:]}", "key": "{secret[:5]}'.encode(),
                 f'{secret[5:]}"}}'.encode()]
        return httpx.Response(200, headers={"x-api-key-echo": secret, "content-type": "application/json"},
                              stream=_Chunks(parts))

    transport = RecordingTransport(httpx.MockTransport(handler), tmp_path, secrets=[secret], variables={})
    with httpx.Client(transport=transport) as client:
        live = client.post("http://x/echo", content=f"my key is {secret}!".encode(),
                           headers={"X-Api-Key": secret, "Authorization": f"Bearer {secret}"})
        assert secret in live.text  # the client itself sees the answer unchanged
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir())
    assert secret.encode() not in raw and base64.b64encode(secret.encode()) not in raw
    chunks = read_chunks(exchange_files(tmp_path)[0])
    assert len(chunks) == 3 and secret.encode() not in b"".join(d for _, d in chunks)
    assert b'"key": "***"' in b"".join(d for _, d in chunks)
    # Replay with the same secret finds the exchange.
    with httpx.Client(transport=ReplayTransport(tmp_path, secrets=[secret], variables={})) as client:
        again = client.post("http://x/echo", content=f"my key is {secret}!".encode(),
                            headers={"X-Api-Key": secret, "Authorization": f"Bearer {secret}"})
        assert again.status_code == 200 and again.headers["x-api-key-echo"] == "***"


def test_a_gzip_body_is_masked_inside_and_replayed_with_this_runs_values(tmp_path):
    secret = "sk-gzip-secret-123456"
    text = f'{{"echo": "{secret}", "cache": "rc-aaaa1111", "pad": "{"x" * 3000}"}}'.encode()
    compressor = zlib.compressobj(6, zlib.DEFLATED, 31)
    wire = [compressor.compress(text[:20]) + compressor.flush(zlib.Z_SYNC_FLUSH), compressor.compress(text[20:])
            + compressor.flush()]

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-type": "application/json", "content-encoding": "gzip",
                                            "content-length": str(sum(map(len, wire)))}, stream=_Chunks(wire))

    transport = RecordingTransport(httpx.MockTransport(handler), tmp_path, secrets=[secret],
                                   variables={"run_id": "aaaa1111"})
    with httpx.Client(transport=transport) as client:
        assert client.post("http://x/r", json={"a": 1}).json()["echo"] == secret  # the client sees it unchanged
    stored = b"".join(d for _, d in read_chunks(exchange_files(tmp_path)[0]))
    assert secret.encode() not in gzip.decompress(stored) and b'"echo": "***"' in gzip.decompress(stored)
    with httpx.Client(transport=ReplayTransport(tmp_path, secrets=[secret], variables={"run_id": "bbbb2222"})) as client:
        with client.stream("POST", "http://x/r", json={"a": 1}) as again:
            raw = b"".join(again.iter_raw())
        assert int(again.headers["content-length"]) == len(raw)  # the re-compressed body's own length
        replayed = json.loads(gzip.decompress(raw))
        assert replayed["echo"] == "***" and replayed["cache"] == "rc-bbbb2222"


class _Chunks(httpx.SyncByteStream):
    def __init__(self, parts):
        self.parts = parts

    def __iter__(self):
        yield from self.parts


def test_replace_across_chunks_keeps_boundaries():
    chunks = [b"abcSEC", b"RETdef", b"SECRET", b"xyz"]
    assert replace_across_chunks(chunks, [(b"SECRET", b"***")]) == [b"abc***", b"def", b"***", b"xyz"]
    assert replace_across_chunks([b"a:1234", b"5/x"], [(b"12345", b"99")]) == [b"a:99", b"/x"]
    assert replace_across_chunks([b"none"], [(b"zz", b"y")]) == [b"none"]


def test_run_id_and_origin_are_normalized(tmp_path):
    """The run id and the target's origin (in asset URLs) change every run;
    the recorded values are replaced by this run's in the replayed answer."""
    with ReferenceServer() as server, recorder(tmp_path, variables={"run_id": "aaaa1111"}) as client:
        origin = server.base_url.rsplit("/v1", 1)[0]
        body = {"model": "ref-text-1", "input": "Reply with exactly: PONG", "prompt_cache_key": "rc-aaaa1111",
                "metadata": {"asset": f"{origin}/v1/assets/red-8x8.png"}}
        live = client.post(server.base_url + "/responses", json=body, headers=AUTH)
        assert live.status_code == 200 and live.json()["prompt_cache_key"] == "rc-aaaa1111"
    body = {"model": "ref-text-1", "input": "Reply with exactly: PONG", "prompt_cache_key": "rc-bbbb2222",
            "metadata": {"asset": "http://localhost:8/v1/assets/red-8x8.png"}}
    with replayer(tmp_path, variables={"run_id": "bbbb2222"}) as client:
        got = client.post("http://localhost:8/v1/responses", json=body, headers=AUTH)
        assert got.status_code == 200
        assert got.json()["prompt_cache_key"] == "rc-bbbb2222"
        assert int(got.headers["content-length"]) == len(got.content)


def test_a_cut_stream_is_recorded_incomplete_and_replayed_as_cut(tmp_path):
    body = {"model": "ref-text-1", "input": "Reply with exactly: PONG", "stream": True}
    with ReferenceServer(faults=["stream_cut"]) as server, recorder(tmp_path) as client:
        base = server.base_url
        seen = []
        with pytest.raises(httpx.RemoteProtocolError), \
                client.stream("POST", base + "/responses", json=body, headers=AUTH) as response:
            seen.extend(response.iter_raw())
    record = json.loads(exchange_files(tmp_path)[0].read_text())
    assert record["response"]["complete"] is False
    assert record["response"]["error"]["type"] == "RemoteProtocolError"
    with replayer(tmp_path) as client:
        replayed = []
        with pytest.raises(httpx.RemoteProtocolError, match=r"^\(recorded\) "), \
                client.stream("POST", base + "/responses", json=body, headers=AUTH) as response:
            replayed.extend(response.iter_raw())
    assert replayed == seen and seen


def test_an_early_close_is_recorded_incomplete(tmp_path):
    with ReferenceServer() as server, recorder(tmp_path) as client, \
            client.stream("POST", server.base_url + "/responses", headers=AUTH,
                          json={"model": "ref-text-1", "input": LONG, "stream": True}) as response:
        first = next(response.iter_raw())
    record = json.loads(exchange_files(tmp_path)[0].read_text())
    assert record["response"]["complete"] is False and record["response"]["error"] is None
    assert base64.b64decode(record["response"]["chunks"][0]["data_b64"]) == first
    assert len(record["response"]["chunks"]) == 1


def test_a_connect_failure_is_recorded_and_replayed(tmp_path):
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]
    with recorder(tmp_path) as client, pytest.raises(httpx.ConnectError):
        client.get(f"http://127.0.0.1:{closed}/v1/models", headers=AUTH)
    record = json.loads(exchange_files(tmp_path)[0].read_text())
    assert record["response"] is None and record["error"]["type"] == "ConnectError"
    with replayer(tmp_path) as client, pytest.raises(httpx.ConnectError, match=r"^\(recorded\) "):
        client.get("http://127.0.0.1:9/v1/models", headers=AUTH)


def test_replay_honours_recorded_timing_with_speed(tmp_path):
    import time

    class Slow(httpx.SyncByteStream):
        def __iter__(self):
            for part in (b"a", b"b", b"c"):
                time.sleep(0.1)
                yield part

    transport = RecordingTransport(httpx.MockTransport(lambda r: httpx.Response(200, stream=Slow())), tmp_path,
                                   variables={})
    with httpx.Client(transport=transport) as client:
        client.get("http://x/slow")
    with httpx.Client(transport=ReplayTransport(tmp_path, variables={})) as client:
        started = time.monotonic()
        assert client.get("http://x/slow").content == b"abc"
        assert time.monotonic() - started < 0.1
    with httpx.Client(transport=ReplayTransport(tmp_path, variables={}, speed=2.0)) as client:
        started = time.monotonic()
        assert client.get("http://x/slow").content == b"abc"
        assert 0.13 < time.monotonic() - started < 0.6


def test_concurrent_recorders_share_one_directory(tmp_path):
    """Two recorders (as two xdist workers would) and several threads each."""
    with ReferenceServer() as server:
        transports = [RecordingTransport(bounded_transport(), tmp_path, secrets=[DEFAULT_API_KEY], variables=RUN)
                      for _ in range(2)]
        clients = [httpx.Client(transport=t, trust_env=False, timeout=10) for t in transports]
        errors = []

        def work(client, worker):
            try:
                for i in range(8):
                    same = {"model": "ref-text-1", "input": "Reply with exactly: SAME"}
                    assert client.post(server.base_url + "/responses", json=same, headers=AUTH).status_code == 200
                    own = {"model": "ref-text-1", "input": f"Reply with exactly: W{worker}-{i}", "stream": True}
                    with client.stream("POST", server.base_url + "/responses", json=own, headers=AUTH) as r:
                        r.read()
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(clients[n % 2], n)) for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        for client in clients:
            client.close()
    assert not errors
    files = exchange_files(tmp_path)
    assert len(files) == 4 * 8 * 2
    same = [json.loads(p.read_text()) for p in files if "SAME" in (json.loads(p.read_text())["request"]["body"] or "")]
    assert sorted(r["occurrence"] for r in same) == list(range(1, 33))
    assert all(r["response"]["complete"] and r["response"]["status"] == 200 for r in same)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".tmp-")]
    with replayer(tmp_path) as client:
        for _ in range(32):
            got = client.post("http://127.0.0.1:1/v1/responses", headers=AUTH,
                              json={"model": "ref-text-1", "input": "Reply with exactly: SAME"})
            assert got.status_code == 200 and got.json()["output"][0]["content"][0]["text"] == "SAME"


def test_wrap_client_transport_and_clear_recording(tmp_path):
    inner = httpx.MockTransport(lambda r: httpx.Response(204))
    assert wrap_client_transport(inner) is inner
    recording = wrap_client_transport(inner, record_dir=tmp_path, secrets=["k" * 8], variables={})
    assert isinstance(recording, RecordingTransport)
    with httpx.Client(transport=recording) as client:
        client.get("http://x/a")
    assert len(exchange_files(tmp_path)) == 1
    assert isinstance(wrap_client_transport(bounded_transport(), replay_dir=tmp_path), ReplayTransport)
    with pytest.raises(ValueError):
        wrap_client_transport(inner, record_dir=tmp_path, replay_dir=tmp_path)
    with pytest.raises(FileNotFoundError):
        wrap_client_transport(inner, replay_dir=tmp_path / "missing")
    (tmp_path / "notes.json").write_text("{}")
    write_index(tmp_path)
    assert clear_recording(tmp_path) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.json"]


def test_the_respcheck_client_runs_unchanged_over_record_and_replay(tmp_path):
    """Client.send / send_stream over the wrapped transport: the same exchange, frames and verdict."""
    from respcheck.exchange.client import Client, Target

    def run(base_url, transport):
        client = Client(Target(base_url=base_url, api_key=DEFAULT_API_KEY, timeout=10))
        client._http.close()
        client._http = httpx.Client(timeout=10, follow_redirects=False, trust_env=False, transport=transport)
        try:
            headers = client.build_headers("default", None, "application/json")
            plain = client.send("POST", "/responses", headers=headers,
                                body=b'{"model": "ref-text-1", "input": "Reply with exactly: PONG"}')
            frames = []
            streamed = client.send_stream("POST", "/responses", headers=headers, on_frame=frames.append,
                                          body=b'{"model": "ref-text-1", "input": "Reply with exactly: PONG", '
                                               b'"stream": true}')
            return plain, streamed, frames
        finally:
            client.close()

    with ReferenceServer() as server:
        live = run(server.base_url, RecordingTransport(bounded_transport(), tmp_path, secrets=[DEFAULT_API_KEY]))
    again = run("http://127.0.0.1:1/v1", ReplayTransport(tmp_path, secrets=[DEFAULT_API_KEY]))
    for before, after in zip(live[:2], again[:2]):
        assert (after.status, after.body, after.response_headers, after.error) == \
               (before.status, before.body, before.response_headers, before.error)
    assert again[1].streamed and again[1].stream_end.reason == "eof"
    assert [(f.event, f.data, f.offset) for f in again[2]] == [(f.event, f.data, f.offset) for f in live[2]]
    assert len(live[2]) > 3
