"""The report side against tests/hostile_server.py's issue-10 modes: a key echoed
in several encodings (also gzip-compressed) appears nowhere — terminal, report
files, Allure, recording — and control bytes in an error body reach no text
output raw."""

from __future__ import annotations

import base64
import gzip
import json
import re
import textwrap

import pytest

import hostile_server
from respcheck.recording import exchange_files

KEY = "sk-hostile/report-0123456789abcdef"
RAW_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
CASE = """
id: hostile.echo
title: ECHO comes back
models: [text]
requires: [responses.text]
request:
  body: {model: "{{model}}", input: "Reply with exactly: ECHO"}
expect:
  status: 200
  output_text: {fullmatch: "ECHO"}
"""

pytestmark = pytest.mark.skipif(not {"echo_key", "echo_key_gzip", "control_bytes", "control_bytes_plain"}
                                <= set(getattr(hostile_server, "MODES", ())),
                                reason="this tree's tests/hostile_server.py has no issue-10 modes yet")


def run_mode(pytester, mode: str, *extra: str):
    path = pytester.path / "cases" / "hostile" / "echo.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(CASE).lstrip(), encoding="utf-8")
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    with hostile_server.HostileServer(mode) as server:
        return pytester.runpytest_inprocess("-p", "no:cacheprovider", "-W", "ignore::pytest.PytestAssertRewriteWarning",
                                            "--base-url", server.base_url, "--profile", "reference",
                                            "--request-timeout", "5", "--api-key", KEY, "-v", *extra)


def files_text(folder) -> bytes:
    return b"".join(p.read_bytes() for p in folder.rglob("*") if p.is_file())


def recorded_bodies(folder) -> bytes:
    out = b""
    for path in exchange_files(folder):
        response = json.loads(path.read_text()).get("response") or {}
        body = b"".join(base64.b64decode(c["data_b64"]) for c in response.get("chunks", []))
        encoding = {k.lower(): v for k, v in response.get("headers", [])}.get("content-encoding")
        out += gzip.decompress(body) if encoding == "gzip" and body else body
    return out


def echoed_forms(secret: str) -> list[bytes]:
    """The spellings the hostile server uses (see hostile_payloads.echo_key), for the bare key and the header."""
    import urllib.parse

    forms = []
    for value in (secret, f"Bearer {secret}"):
        forms += [value, json.dumps(value)[1:-1].replace("-", "\\u002d").replace("/", "\\/"),
                  urllib.parse.quote(value, safe=""), base64.b64encode(value.encode()).decode()]
    return [f.encode() for f in forms]


@pytest.mark.parametrize("mode", ["echo_key", "echo_key_gzip"])
def test_an_echoed_key_is_nowhere(pytester, mode):
    allure_dir, recording = pytester.path / "allure", pytester.path / "rec"
    result = run_mode(pytester, mode, f"--alluredir={allure_dir}", "--record", str(recording))
    result.assert_outcomes(failed=1)
    places = {"terminal": (result.stdout.str() + result.stderr.str()).encode(),
              "reports": files_text(pytester.path / "reports"), "allure": files_text(allure_dir),
              "recording": files_text(recording) + recorded_bodies(recording)}
    for where, data in places.items():
        for form in echoed_forms(KEY):
            assert form not in data, (where, form)
    assert b"***" in places["recording"] and b"***" in places["reports"]


@pytest.mark.parametrize("mode", ["control_bytes", "control_bytes_plain"])
def test_control_bytes_reach_no_text_output_raw(pytester, mode):
    allure_dir = pytester.path / "allure"
    result = run_mode(pytester, mode, f"--alluredir={allure_dir}")
    result.assert_outcomes(failed=1)
    shown = result.stdout.str() + result.stderr.str()
    assert not RAW_CONTROLS.search(shown), repr(shown[max(0, RAW_CONTROLS.search(shown).start() - 60):][:120])
    # Shown, as escapes: the raw ESC sequences of the plain body, the raw C1 CSI of the JSON one.
    assert {"control_bytes": "\\x9b31m", "control_bytes_plain": "\\x1b]0;pwned\\x07"}[mode] in shown
    for path in [*(pytester.path / "reports").rglob("*"), *allure_dir.rglob("*")]:
        if path.is_file() and path.suffix in (".txt", ".json", ".md", ".html"):
            text = path.read_text(encoding="utf-8")
            assert not RAW_CONTROLS.search(text), path.name
