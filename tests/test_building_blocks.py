"""Matchers, JSON paths, placeholders, YAML line tracking, masking, curl."""

from __future__ import annotations

from pathlib import Path

import pytest

from respcheck.exchange.client import Exchange
from respcheck.model.jsonpath import MISSING, PathSyntaxError, get, parse
from respcheck.model.matchers import mismatch
from respcheck.report.curl import curl_command
from respcheck.report.secrets import Masker
from respcheck.model.templating import TemplateError, render
from respcheck.model.yamlfile import YamlFileError, load_documents


@pytest.mark.parametrize("spec,value", [
    ("PONG", "PONG"), (1, 1), (None, None), ({"matches": "(?i)pong"}, "Pong!"),
    ({"fullmatch": "(?i)pong[.!]?"}, " pong. "), ({"in": ["a", "b"]}, "b"), ({"type": "integer"}, 3),
    ({"type": "number"}, 2.5), ({"gt": 2, "lte": 3}, 3), ({"present": False}, MISSING),
    ({"length": 2}, [1, 2]), ({"json": True}, '{"a": 1}'), ({"not": "x"}, "y"),
    ({"any_of": [None, {"present": False}]}, MISSING), ({"icontains": "ZEB"}, "a zebra"),
])
def test_matchers_accept(spec, value):
    assert mismatch(spec, value) is None


@pytest.mark.parametrize("spec,value,reason", [
    ("PONG", "pong", "expected 'PONG', got 'pong'"),
    (1, True, "expected 1, got true"),
    (True, 1, "expected true, got 1"),
    ({"fullmatch": "pong"}, "pong pong", "fullmatch"),
    ({"type": "integer"}, True, "expected a JSON integer"),
    ({"gt": 5}, 5, "expected a number gt 5"),
    ({"present": True}, MISSING, "expected the field to be present"),
    ({"matches": "x"}, MISSING, "missing"),
    ({"json": True}, "{not json", "expected JSON text"),
    ({"in": [1, 2]}, 3, "expected one of [1, 2]"),
])
def test_matchers_reject_with_reason(spec, value, reason):
    got = mismatch(spec, value)
    assert got is not None and reason in got


def test_json_paths():
    doc = {"output": [{"content": [{"text": "hi"}]}], "a.b": 1, "n": None}
    assert get(doc, "$.output[0].content[-1].text") == "hi"
    assert get(doc, "$['a.b']") == 1
    assert get(doc, "$.n") is None
    assert get(doc, "$.output[3]") is MISSING and get(doc, "$.nope.x") is MISSING
    assert parse("$") == ()
    with pytest.raises(PathSyntaxError):
        parse("output[0]")
    with pytest.raises(PathSyntaxError):
        parse("$.a..b")


def test_placeholders_keep_types_and_refuse_unknown_names():
    context = {"model": "m1", "captured": {"n": 3}, "errors": {"x": None}}
    assert render({"a": "{{model}}", "b": "{{ captured.n }}", "c": "n={{captured.n}}", "d": "{{errors.x}}"},
                  context) == {"a": "m1", "b": 3, "c": "n=3", "d": None}
    with pytest.raises(TemplateError, match="unknown placeholder {{captured.m}}"):
        render("{{captured.m}}", context)


def test_yaml_lines_and_errors(tmp_path: Path):
    file = tmp_path / "c.yaml"
    file.write_text("id: a\nrequest:\n  body:\n    input: x\n---\n- id: b\n  title: t\n")
    first, second = load_documents(file)
    assert first.lines[("request", "body", "input")] == 4
    assert first.line_of(("request", "body", "input", "deeper")) == 4
    assert second.lines[(0, "title")] == 7
    file.write_text("id: a\nid: b\n")
    with pytest.raises(YamlFileError, match="duplicate key 'id'") as info:
        load_documents(file)
    assert info.value.line == 2
    file.write_text("id: [a\n")
    with pytest.raises(YamlFileError, match="invalid YAML"):
        load_documents(file)


def test_masking_and_curl():
    masker = Masker(["sk-abcdef123456"])
    exchange = Exchange(method="POST", url="http://h/v1/responses",
                        request_headers={"Authorization": "Bearer sk-abcdef123456", "X-Api-Key": "k-1",
                                         "Content-Type": "application/json"},
                        request_body=b'{"input": "it\'s sk-abcdef123456"}')
    line = curl_command(exchange, masker, stream=True)
    assert "sk-abcdef123456" not in line and "k-1" not in line
    assert line.startswith("curl -sS -N -X POST http://h/v1/responses")
    assert "'Authorization: Bearer ***'" in line and "'X-Api-Key: ***'" in line
    assert "--data-binary" in line
    assert Masker(["sk-abcdef123456"], show=True).text("sk-abcdef123456") == "sk-abcdef123456"


def test_two_unequal_containers_are_told_apart_where_they_first_part():
    """A long expected value used to be clipped to the same prefix on both sides; the place shows the difference."""
    from respcheck.model.matchers import mismatch

    want = [{"id": "msg_1", "type": "message", "role": "assistant", "status": "completed",
             "content": [{"type": "output_text", "text": "PONG", "annotations": []}]}]
    got = [{**want[0], "content": [{"type": "output_text", "text": "PING", "annotations": []}]}]
    assert mismatch(want, got) == "at [0].content[0].text: expected 'PONG', got 'PING'"
    assert mismatch({"equals": {"a": [1, 2]}}, {"a": [1, 2, 3]}) == "at a (length): expected 2, got 3"
    assert mismatch({"equals": {"a": 1}}, {"a": 1, "b": 2}) == "at b: expected nothing (the field is missing), got 2"
    assert mismatch("x", "y") == "expected 'x', got 'y'"
    assert mismatch(want, [dict(want[0])]) is None  # equal values still pass
