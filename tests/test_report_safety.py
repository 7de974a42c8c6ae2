"""What a hostile answer cannot do to the reports: slip the key past the masker
in another spelling (JSON escapes, %XX, base64, a gzip body in a recording),
drive the terminal with control bytes, or blow up transcripts with huge
bodies and streams."""

from __future__ import annotations

import base64
import gzip
import json
import re
import subprocess
import textwrap
import urllib.parse
import zlib
from types import SimpleNamespace

import pytest

from raw_server import RawServer, response_json, sse
from respcheck.recording import exchange_files
from respcheck.recording.bodymask import mask_recorded_body
from respcheck.report.excerpt import body_text, frame_data, frame_view
from respcheck.report.printable import json_text, one_line, printable, shell_quote
from respcheck.report.secrets import Masker, _base64_cores
from respcheck.exchange.sse import Frame
from test_reports import CASE, all_report_bytes, results

KEY = "sk-echo/secret-0123456789abcdef"
STREAM_CASE = """
id: demo.stream
title: streamed PONG
models: [text]
request:
  body: {model: "{{model}}", input: "Reply with exactly: PONG", stream: true}
expect:
  status: 200
"""


@pytest.fixture
def sandbox(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    (pytester.path / "cases" / "demo").mkdir(parents=True)
    (pytester.path / "cases" / "demo" / "demo.yaml").write_text(textwrap.dedent(CASE).lstrip())
    (pytester.path / "cases" / "demo" / "stream.yaml").write_text(textwrap.dedent(STREAM_CASE).lstrip())
    return pytester


PROFILE = """
name: raw
models: {text: m}
capabilities: {responses.text: supported, responses.streaming: supported}
settings: {routing_metadata_source: none, request_id_header: null}
"""


def profile(pytester) -> str:
    path = pytester.path / "raw.yaml"
    path.write_text(textwrap.dedent(PROFILE).lstrip())
    return str(path)


def run(pytester, server, *args):
    return pytester.runpytest_inprocess("-p", "no:cacheprovider", "-W", "ignore::pytest.PytestAssertRewriteWarning",
                                        "--api-key", KEY, "--base-url", server.base_url, "--profile", profile(pytester),
                                        *args)


def spellings(secret: str) -> dict[str, str]:
    """The key as a gateway may echo it."""
    return {
        "raw": secret,
        "json-escaped": secret.replace("-", "\\u002d").replace("/", "\\/"),
        "json-escaped upper": secret.replace("-", "\\u002D"),
        "double-escaped": secret.replace("-", "\\\\u002d"),
        "url-encoded": urllib.parse.quote(secret, safe=""),
        "url-encoded twice": urllib.parse.quote(urllib.parse.quote(secret, safe=""), safe=""),
        "base64": base64.b64encode(b"key=" + secret.encode()).decode(),
        "base64 offset 1": base64.b64encode(b"k" + secret.encode() + b"!").decode(),
        "base64url offset 2": base64.urlsafe_b64encode(b"ke" + secret.encode()).decode(),
    }


# -- the masker ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", list(spellings(KEY)))
def test_every_spelling_is_masked(name):
    text = f"before {spellings(KEY)[name]} after"
    masked = Masker([KEY]).text(text)
    assert "***" in masked and masked.startswith("before ") and masked.endswith(" after")
    for core in _base64_cores(KEY.encode()):
        assert core not in masked
    assert Masker([KEY]).data(text.encode()) == masked.encode()


def test_the_masker_leaves_other_text_alone():
    masker = Masker([KEY])
    for text in ("sk-echo/secret-0123456789abcdee", "sk\\u002decho", "%73%6b", base64.b64encode(b"sk-echo/").decode(),
                 "plain text with \\n escapes and 100% of it"):
        assert masker.text(text) == text
    assert Masker([KEY], show=True).text(KEY) == KEY


def test_recorded_gzip_body_is_masked_inside_and_still_decodes_chunk_by_chunk():
    masker = Masker([KEY])
    compressor = zlib.compressobj(6, zlib.DEFLATED, 31)
    pieces = [b'{"echo": "' + KEY[:10].encode(), KEY[10:].encode() + b'", "n": 1', b"}"]
    wire = [compressor.compress(p) + compressor.flush(zlib.Z_SYNC_FLUSH) for p in pieces]
    wire[-1] += compressor.flush()
    stored = mask_recorded_body(wire, "gzip", masker)
    assert len(stored) == len(wire)
    assert json.loads(gzip.decompress(b"".join(stored))) == {"echo": "***", "n": 1}
    decoder = zlib.decompressobj(31)
    shares = [decoder.decompress(chunk) for chunk in stored]
    assert shares[0] == b'{"echo": "***' and shares[-1] == b"}"  # each chunk keeps its share of the text
    clean = [gzip.compress(b'{"echo": "nothing"}')]
    assert mask_recorded_body(clean, "gzip", masker) == clean  # byte for byte when there is nothing to mask
    assert mask_recorded_body([b"not gzip " + KEY.encode()], "gzip", masker) == [b"not gzip ***"]


# -- end to end: a gateway that echoes the key -----------------------------------------------------------

def _recorded_plaintext(folder) -> bytes:
    """Every recorded answer's body, decompressed when it was compressed."""
    out = b""
    for path in exchange_files(folder):
        record = json.loads(path.read_text())
        response = record.get("response") or {}
        body = b"".join(base64.b64decode(c["data_b64"]) for c in response.get("chunks", []))
        encoding = {k.lower(): v for k, v in response.get("headers", [])}.get("content-encoding")
        out += (gzip.decompress(body) if encoding == "gzip" and body else body) + path.read_bytes()
    return out


@pytest.mark.parametrize("gzipped", [False, True], ids=["identity", "gzip"])
def test_an_echoed_key_in_any_spelling_is_masked_everywhere(sandbox, gzipped):
    # Each spelling goes into the JSON text as is: the escaped ones are JSON escapes the parser decodes.
    echo = " | ".join(spellings(KEY).values()).encode()
    body = json.dumps(response_json("PONG ECHO")).encode().replace(b"ECHO", echo)
    assert KEY in json.loads(body)["output"][0]["content"][0]["text"]
    headers = {"Content-Encoding": "gzip"} if gzipped else {}
    allure_dir, junit, recording = sandbox.path / "allure", sandbox.path / "junit.xml", sandbox.path / "rec"
    with RawServer(gzip.compress(body) if gzipped else body, headers) as server:
        result = run(sandbox, server, "-k", "pong", f"--alluredir={allure_dir}", f"--junitxml={junit}",
                     "--record", str(recording), "-v")
    result.assert_outcomes(failed=1, deselected=2)
    case = results(sandbox)["cases"][0]
    assert case["transcript"] and any(f["rule"] == "output.text" for f in case["failures"])
    shown = (result.stdout.str() + result.stderr.str()).encode()
    everything = {"terminal": shown, "reports": all_report_bytes(sandbox.path / "reports"),
                  "allure": all_report_bytes(allure_dir), "junit": junit.read_bytes(),
                  "recording": _recorded_plaintext(recording)}
    for where, data in everything.items():
        for name, spelled in spellings(KEY).items():
            assert spelled.encode() not in data, (where, name)
        for core in _base64_cores(KEY.encode()):
            assert core.encode() not in data, (where, "a base64 fragment")
    assert b"***" in everything["reports"] and b"***" in everything["recording"]
    # The masked recording still replays (a valid gzip body, a content-length that fits).
    again = sandbox.runpytest_inprocess("-p", "no:cacheprovider", "-W", "ignore::pytest.PytestAssertRewriteWarning",
                                        "--api-key", KEY, "--profile", profile(sandbox), "--replay", str(recording),
                                        "-k", "pong")
    again.assert_outcomes(failed=1, deselected=2)
    assert [f["rule"] for f in results(sandbox)["cases"][0]["failures"]] == [f["rule"] for f in case["failures"]]


# -- control bytes ---------------------------------------------------------------------------------------

HOSTILE = "PONG\x1b]0;pwned title\x07\x1b[2J\x1b]52;c;ZXZpbA==\x07nul\x00bell\x07csi\x9b1m\u202eevil"
RAW_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202e]")


def test_printable_escapes_controls_but_keeps_lines():
    assert printable("a\x1b[2Jb\tc\nd\r\x00\x9b") == "a\\x1b[2Jb\tc\nd\\r\\x00\\x9b"
    assert one_line("a\nb\tc") == "a\\nb\\tc"
    assert printable("plain ünïcode — ok") == "plain ünïcode — ok"


def test_json_reports_escape_what_json_dumps_leaves_raw(tmp_path):
    from respcheck.report.results import ResultsCollector

    document = {"cases": [{"name": "c", "failures": [{"rule": "r", "message": "C1 \x9b1m, bidi \u202e, esc \x1b"}]}]}
    text = ResultsCollector().write(tmp_path, document).read_text(encoding="utf-8")
    assert not RAW_CONTROLS.search(text) and "\\u009b1m" in text and json.loads(text) == document
    assert json_text('"\x9b"') == '"\\u009b"'


def test_shell_quote_prints_ascii_and_gives_the_shell_the_same_bytes():
    for value in ("plain", "it's", "esc\x1b[2J and 'quotes' \\ and\nnewline", "c1 \x9b here"):
        word = shell_quote(value)
        assert not RAW_CONTROLS.search(word) and "\n" not in word
        out = subprocess.run(["bash", "-c", f"printf %s {word}"], capture_output=True, check=True).stdout
        assert out == value.encode("utf-8"), (value, word)


def test_control_bytes_from_the_gateway_are_escaped_in_every_text_output(sandbox):
    body = json.dumps(response_json(HOSTILE), ensure_ascii=False).encode()  # C0 as \u001b escapes, C1 and bidi raw
    events = [("response.created", json.dumps({"type": "response.created", "x": HOSTILE}, ensure_ascii=False)
               .replace("\\u001b", "\x1b").replace("\\u0007", "\x07"))]
    allure_dir = sandbox.path / "allure"
    with RawServer(b"not json \x1b]0;title\x07 \x1b[2J", stream_body=sse(events)) as server:
        plain_result = run(sandbox, server, "-k", "pong", "-v")
    with RawServer(body, stream_body=sse(events)) as server:
        result = run(sandbox, server, "-k", "pong or stream", f"--alluredir={allure_dir}", "-v")
    result.assert_outcomes(failed=2, deselected=1)
    for outcome in (plain_result, result):
        shown = outcome.stdout.str() + outcome.stderr.str()
        assert not RAW_CONTROLS.search(shown), repr(RAW_CONTROLS.search(shown))
    shown = result.stdout.str()
    assert "Response body:" in plain_result.stdout.str() and "\\x1b]0;title\\x07" in plain_result.stdout.str()
    assert "Stream events" in shown and "\\x1b]52;c;" in shown
    for folder in (sandbox.path / "reports", allure_dir):  # results.json, matrix.md/.html, transcripts, attachments
        files = [p for p in folder.rglob("*") if p.suffix in (".txt", ".json", ".md", ".html")]
        assert len(files) >= 3
        for path in files:
            text = path.read_text(encoding="utf-8")
            found = RAW_CONTROLS.search(text)
            assert found is None, (path.name, repr(text[max(0, found.start() - 40):found.end() + 40]))
    transcripts = "".join(p.read_text() for p in (sandbox.path / "reports" / "transcripts").iterdir())
    assert "\\x1b]0;pwned title\\x07" in transcripts and "\\x1b[2J" in transcripts


# -- caps ------------------------------------------------------------------------------------------------

def test_huge_bodies_and_streams_make_small_transcripts(sandbox):
    filler = "word " * 600_000  # a 3 MB answer
    body = json.dumps(response_json("PONG " + filler + "THE-END")).encode()
    events = [("response.output_text.delta", json.dumps({"type": "response.output_text.delta", "delta": f"d{i} " * 50,
                                                         "sequence_number": i}))
              for i in range(3000)] + [("response.done", '{"type": "response.done", "tail": "LAST-EVENT"}')]
    with RawServer(body, stream_body=sse(events)) as server:
        result = run(sandbox, server, "-k", "pong or stream")
    result.assert_outcomes(failed=2, deselected=1)
    folder = sandbox.path / "reports" / "transcripts"
    pong = (folder / "demo.pong.txt").read_text()
    stream = (folder / "demo.stream.txt").read_text()
    assert len(body) > 3_000_000 and len(pong) < 100_000 and len(stream) < 400_000
    assert "bytes omitted" in pong and "THE-END" in pong and '"id": "resp_raw"' in pong or '"resp_raw"' in pong
    assert "# capped:" in pong and "# capped:" in stream
    assert "[#0 " in stream and "[#3000 " in stream and "LAST-EVENT" in stream
    omitted = [int(n) for n in re.findall(r"\[… (\d+) events omitted …\]", stream)]
    assert omitted and sum(omitted) + stream.count("\n[#") == 3001


def test_the_transcript_works_with_whatever_frames_the_checker_kept():
    # A checker that kept events 0-2 and 97-99 of 100, and clipped one: the gaps are counted from the indexes.
    kept = [Frame(i, "e", f"data {i}", i * 10, i / 1000) for i in (0, 1, 2, 97, 98, 99)]
    view = frame_view(kept)
    assert [x if isinstance(x, int) else x.index for x in view] == [0, 1, 2, 94, 97, 98, 99]
    assert frame_view([]) == []
    clipped = SimpleNamespace(index=0, event="e", data="abc", offset=3, t=0.0, clipped=5000)  # cut by the checker
    assert frame_data(clipped) == "abc[… 5000 characters omitted …: not kept]"
    assert frame_data(SimpleNamespace(data="x" * 10_000), limit=100).count("x") == 100
    small = body_text(b'{"a": 1}')
    assert json.loads(small) == {"a": 1}
    big = body_text(b"x" * 100_000 + b"END", head=1000, tail=100)
    assert "[… 98903 bytes omitted … of 100003 in all]" in big and big.endswith("END")
