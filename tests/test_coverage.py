"""Coverage accounting: the catalogue comes from the schemas and case files,
each case reports what it sent and received, and results.json, the terminal,
matrix.md and matrix.html show the same sums (serial and -n 2 alike)."""

from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path
from types import SimpleNamespace


from respcheck.execution.coverage import body_fields, exercised
from respcheck.model.endpoints import fold, path_template, step_endpoint
from respcheck.model.error_codes import KNOWN_CODES
from respcheck.report.contract import Area, contract
from respcheck.report.coverage import Exercised, render_text, summarize
from respcheck.schemastore import SchemaStore, schema_dir

REPO = Path(__file__).resolve().parent.parent
AREAS = ("endpoints", "request_fields", "stream_events", "output_items", "error_codes")


def _schema(name: str) -> dict:
    return json.loads((schema_dir() / name).read_text(encoding="utf-8"))


def _exercised_names(area: dict, catalogue: frozenset) -> set:
    return set(catalogue) - set(area["missing"])


# -- the catalogue --------------------------------------------------------------------------------------


def test_catalogue_sizes_come_from_the_schemas():
    areas = {a.key: a for a in contract()}
    assert tuple(areas) == AREAS
    assert areas["stream_events"].names == set(_schema("stream-event.schema.json")["$defs"])
    request = _schema("responses-request.schema.json")["properties"]
    assert {n for n in areas["request_fields"].names if "." not in n} == set(request)
    assert {"text.format", "text.verbosity", "reasoning.effort", "reasoning.summary",
            "stream_options.include_obfuscation"} <= areas["request_fields"].names
    assert not any(n.startswith(("metadata.", "input.", "tools.", "extensions.")) for n in areas["request_fields"].names)
    dispatched = {b["if"]["properties"]["type"]["const"] for b in _schema("output-item.schema.json")["allOf"]}
    assert dispatched <= areas["output_items"].names and "message" in dispatched
    assert areas["error_codes"].names == set(KNOWN_CODES)
    assert {"POST /responses", "POST /chat/completions", "GET /models", "GET /models/{id}",
            "GET /directory/models"} <= areas["endpoints"].names


def test_the_templates_use_the_same_error_codes():
    from respcheck.execution.runner import template_context
    from respcheck.model.profile import Profile

    case = SimpleNamespace(models=(), matrix={})
    profile = Profile(name="p", file=None, models={}, capabilities={}, settings={})
    context = template_context(case, profile, {"text": "m"})
    assert set(context["errors"]) == set(KNOWN_CODES)


def _store_with(tmp_path: Path, edit) -> SchemaStore:
    folder = tmp_path / "schemas"
    shutil.copytree(schema_dir(), folder)
    edit(folder)
    return SchemaStore(folder)


def test_a_new_event_schema_and_output_item_join_the_catalogue_unchanged(tmp_path):
    # A vendor's event and item that no schema knows yet (the catalogue has every SDK type already).
    def add_mcp(folder: Path) -> None:
        events = json.loads((folder / "stream-event.schema.json").read_text())
        events["$defs"]["response.vendor_call.in_progress"] = {"type": "object"}
        (folder / "stream-event.schema.json").write_text(json.dumps(events))
        items = json.loads((folder / "output-item.schema.json").read_text())
        union = items.get("allOf") if "allOf" in items else items.setdefault("oneOf", [])
        union.append({"if": {"properties": {"type": {"const": "vendor_call"}}}, "then": {}} if "allOf" in items
                     else {"properties": {"type": {"const": "vendor_call"}}})
        (folder / "output-item.schema.json").write_text(json.dumps(items))

    before = {a.key: a.names for a in contract()}
    after = {a.key: a.names for a in contract(store=_store_with(tmp_path, add_mcp))}
    assert after["stream_events"] == before["stream_events"] | {"response.vendor_call.in_progress"}
    assert after["output_items"] == before["output_items"] | {"vendor_call"}
    coverage = summarize({"stream_events": {"response.created"}},
                         contract(store=_store_with(tmp_path / "again", add_mcp)))
    assert "response.vendor_call.in_progress" in coverage["stream_events"]["missing"]
    assert coverage["stream_events"]["total"] == len(before["stream_events"]) + 1


def test_output_items_of_a_oneof_union_are_read_through_their_refs(tmp_path):
    def as_oneof(folder: Path) -> None:
        (folder / "output-item.schema.json").write_text(json.dumps({
            "$id": "https://respcheck.dev/schemas/output-item.schema.json",
            "oneOf": [{"$ref": "message-item.schema.json"}, {"$ref": "#/$defs/web"}],
            "$defs": {"web": {"properties": {"type": {"const": "web_search_call"}}}}}))

    names = {a.key: a.names for a in contract(store=_store_with(tmp_path, as_oneof))}["output_items"]
    assert names == {"message", "web_search_call"}


def test_endpoints_are_method_and_path_template():
    assert step_endpoint({"body": {}}) == "POST /responses"
    assert step_endpoint({"method": "get", "path": "/models/{{models.text}}"}) == "GET /models/{id}"
    assert step_endpoint({"method": "GET", "path": "/responses/{{captured.id}}/input_items?limit=2"}) \
        == "GET /responses/{id}/input_items"
    assert path_template("/models/") == "/models"
    folded = fold({"GET /models/{id}", "GET /models/no-such-model", "GET /models", "DELETE /models/x",
                   "POST /responses/{id}/cancel", "POST /responses/r1/cancel", "POST /responses/input_tokens"})
    assert folded["GET /models/no-such-model"] == "GET /models/{id}"
    assert folded["POST /responses/r1/cancel"] == "POST /responses/{id}/cancel"
    assert folded["DELETE /models/x"] == "DELETE /models/x"  # another method is another endpoint
    assert folded["POST /responses/input_tokens"] == "POST /responses/input_tokens"  # no template fits


# -- counting -------------------------------------------------------------------------------------------


def test_counting_against_the_catalogue():
    areas = [Area("endpoints", "endpoints", frozenset({"GET /models/{id}", "POST /responses", "GET /models/gone"}),
                  "cases"),
             Area("request_fields", "request fields", frozenset({"model", "text", "text.format", "metadata"}),
                  "schema"),
             Area("stream_events", "stream events", frozenset({"a.b", "a.c"}), "schema")]
    seen = {"endpoints": {"GET /models/m1", "GET /models/{id}"},
            "request_fields": {"model", "metadata", "metadata.run", "text", "text.bogus", "messages"},
            "stream_events": {"a.b", "x.unknown"}}
    coverage = summarize(seen, areas)
    assert list(coverage) == ["endpoints", "request_fields", "stream_events"]
    # the literal ids fold into GET /models/{id}: two endpoints, one exercised
    assert coverage["endpoints"] == {"label": "endpoints", "exercised": 1, "total": 2,
                                          "missing": ["POST /responses"], "unknown": [], "source": "cases"}
    assert coverage["request_fields"]["exercised"] == 3 and coverage["request_fields"]["missing"] == ["text.format"]
    # metadata is a free map (its keys are data); text's members are named, so text.bogus is unknown
    assert coverage["request_fields"]["unknown"] == ["messages", "text.bogus"]
    assert coverage["stream_events"]["unknown"] == ["x.unknown"]  # a dotted event name is never a "member"
    assert render_text(coverage) == [
        "endpoints 1/2       missing: POST /responses",
        "request fields 3/4  missing: text.format",
        "                    not in the catalogue: messages, text.bogus",
        "stream events 1/2   missing: a.c",
        "                    not in the catalogue: x.unknown"]
    assert render_text(summarize({"stream_events": {"a.b", "a.c"}}, areas[2:])) == ["stream events 2/2  all exercised"]


def test_long_lists_wrap_under_their_heading():
    names = [f"response.event_number_{i:02}.delta" for i in range(12)]
    lines = render_text(summarize({}, [Area("stream_events", "stream events", frozenset(names), "schema")]))
    assert lines[0].startswith("stream events 0/12  missing: response.event_number_00.delta,")
    assert len(lines) > 1 and all(len(line) <= 110 for line in lines)
    assert all(line.startswith(" " * len("stream events 0/12  missing: ")) for line in lines[1:])
    assert ", ".join(names) == " ".join(" ".join(lines).split()[4:])


def test_exercised_sums_properties_and_ignores_broken_ones():
    total = Exercised()
    for value in ('{"stream_events":["a"]}', '{"stream_events":["b"],"endpoints":["GET /models"]}', "{not json",
                  None, '["a list"]'):
        total.add(value)
    assert total.names == {"stream_events": {"a", "b"}, "endpoints": {"GET /models"}}


def _exchange(status, body=None, request=None, streamed=False):
    return SimpleNamespace(status=status, json=body, request_json=request, streamed=streamed)


def test_what_a_case_exercised_across_its_steps():
    stream = SimpleNamespace(event_types={"response.created", "response.completed", "error"},
                             terminal={"output": [{"type": "reasoning"}, {"type": "message"}]},
                             error_event={"type": "error", "code": "upstream_error"})
    run = SimpleNamespace(steps=[
        SimpleNamespace(step=SimpleNamespace(request={"body": {}}), stream=stream,
                        exchange=_exchange(200, None, {"model": "m", "text": {"format": {"type": "text"}}},
                                           streamed=True)),
        SimpleNamespace(step=SimpleNamespace(request={"method": "GET", "path": "/models/{{model}}"}), stream=None,
                        exchange=_exchange(404, {"error": {"code": "model_unavailable", "message": "x"}})),
        SimpleNamespace(step=SimpleNamespace(request={"path": "/chat/completions", "body": {}}), stream=None,
                        exchange=_exchange(200, {"output": [{"type": "function_call"}], "code": "not-an-error"},
                                           {"messages": []})),
        SimpleNamespace(step=SimpleNamespace(request={"path": "/models"}), stream=None, exchange=None)])
    profile = SimpleNamespace(error_codes={"model_not_found": "model_unavailable"})
    found = exercised(run, profile)
    assert found == {
        "endpoints": {"POST /responses", "GET /models/{id}", "POST /chat/completions"},  # not the unsent step
        "request_fields": {"model", "text", "text.format"},  # only POST /responses bodies
        "stream_events": {"response.created", "response.completed", "error"},
        "output_items": {"reasoning", "message", "function_call"},
        "error_codes": {"upstream_error", "model_not_found"},  # the target's spelling mapped back; no 2xx "code"
    }
    assert body_fields(["not", "an", "object"]) == set()


# -- whole runs against the embedded gateway --------------------------------------------------------------

SANDBOX_CASES = """
id: cov.stream
title: a streamed text answer
models: [text]
request:
  body: {model: "{{model}}", input: "Reply with exactly: PONG", stream: true, text: {format: {type: text}}}
expect:
  status: 200
---
id: cov.model
title: one model
models: [text]
request:
  method: GET
  path: "/models/{{model}}"
expect:
  status: 200
---
id: cov.unknown_model
title: an unknown model is 404
request:
  body: {model: respcheck-no-such-model-0, input: "x", metadata: {run: "1"}}
expect:
  status: 404
"""

# What the reference gateway streams for a plain text answer.
TEXT_STREAM = {"response.created", "response.in_progress", "response.output_item.added", "response.content_part.added",
               "response.output_text.delta", "response.output_text.done", "response.content_part.done",
               "response.output_item.done", "response.completed"}


def _run(pytester, *args, paths=None):
    paths = paths if paths is not None else [str(pytester.path / "cases")]
    return pytester.runpytest_inprocess(*paths, "-p", "no:cacheprovider", "-q",
                                        "-W", "ignore::pytest.PytestAssertRewriteWarning", *args)


def _doc(folder: Path) -> dict:
    return json.loads((folder / "results.json").read_text(encoding="utf-8"))


def test_a_run_counts_exactly_what_its_cases_sent_and_received(pytester):
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    (pytester.path / "cases").mkdir()
    case_file = pytester.path / "cases" / "cov.yaml"
    case_file.write_text(textwrap.dedent(SANDBOX_CASES).lstrip())
    result = _run(pytester, "--report-dir", "out")
    result.assert_outcomes(passed=3)
    coverage = _doc(pytester.path / "out")["coverage"]
    catalogue = {a.key: a.names for a in contract([case_file])}
    folded = fold(catalogue["endpoints"])
    catalogue["endpoints"] = frozenset(folded.values())
    assert {k: v["total"] for k, v in coverage.items()} == {k: len(v) for k, v in catalogue.items()}
    got = {k: _exercised_names(v, catalogue[k]) for k, v in coverage.items()}
    assert got == {"endpoints": {"POST /responses", "GET /models/{id}"},
                   "request_fields": {"model", "input", "stream", "text", "text.format", "metadata"},
                   "stream_events": TEXT_STREAM, "output_items": {"message"}, "error_codes": {"model_not_found"}}
    assert all(v["unknown"] == [] for v in coverage.values())  # metadata.run is data, not a field


def _suite_run(pytester, folder: Path, *extra):
    result = pytester.runpytest_inprocess(
        str(REPO / "cases"), "-p", "no:cacheprovider", "-q", "--rootdir", str(REPO),
        "-W", "ignore::pytest.PytestAssertRewriteWarning", "--report-dir", str(folder), *extra)
    assert result.ret == 0, result.stdout.str()[-3000:]
    return result


def test_the_default_run_reports_coverage_everywhere_and_xdist_agrees(pytester, tmp_path):
    serial, parallel = tmp_path / "serial", tmp_path / "xdist"
    result = _suite_run(pytester, serial)
    _suite_run(pytester, parallel, "-n", "2")
    coverage = _doc(serial)["coverage"]
    assert coverage == _doc(parallel)["coverage"]
    catalogue = {a.key: a for a in contract()}
    assert tuple(coverage) == AREAS
    for key, area in coverage.items():
        names = catalogue[key].names if key != "endpoints" else frozenset(fold(catalogue[key].names).values())
        assert area["total"] == len(names), key
        assert area["exercised"] == len(names) - len(area["missing"]) and set(area["missing"]) <= names
    events = _exercised_names(coverage["stream_events"], catalogue["stream_events"].names)
    assert {"response.output_text.delta", "response.function_call_arguments.delta",
            "response.reasoning_summary_text.delta"} <= events
    for mcp in (n for n in catalogue["stream_events"].names if ".mcp_" in n):  # once the catalogue has them
        assert mcp in coverage["stream_events"]["missing"]  # the embedded gateway has no MCP
    assert {"POST /responses", "POST /chat/completions", "GET /models/{id}"} <= \
        _exercised_names(coverage["endpoints"], frozenset(fold(catalogue["endpoints"].names).values()))
    assert {"model_not_found", "invalid_api_key"} <= _exercised_names(coverage["error_codes"],
                                                                      catalogue["error_codes"].names)
    assert {"message", "function_call", "reasoning"} <= _exercised_names(coverage["output_items"],
                                                                         catalogue["output_items"].names)
    # the same figures in the terminal, matrix.md and matrix.html
    out = result.stdout.str()
    md = (serial / "matrix.md").read_text(encoding="utf-8")
    page = (serial / "matrix.html").read_text(encoding="utf-8")
    assert "respcheck contract coverage" in out and 'id="coverage"' in page and "### Contract coverage" in md
    for key, area in coverage.items():
        ratio = f"{area['exercised']}/{area['total']}"
        assert f"{area['label']} {ratio}" in out
        assert f"| {area['label']} | {ratio} |" in md
        assert f">{area['label']}</th><td class=\"count\">{ratio}</td>" in page
        for name in area["missing"]:
            assert name in out and f"`{name}`" in md and f"<code>{name}</code>" in page
