"""`respcheck profile init`: a profile written from probes, within 60 requests,
with which the suite passes on the clean reference gateway, and which stays a
valid profile whatever single fault the gateway has."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from path_gateway import SplitPathGateway
from respcheck.cli import main
from respcheck.profile_init import init_profile
from respcheck.profile_init.prober import MAX_REQUESTS
from respcheck.reference.faults import DROP_TEMPLATE, FAULTS
from suite_runs import run_suite

REPO = Path(__file__).resolve().parent.parent


def _init(gateway, base_url: str, **kwargs):
    # No pacing in tests (the CLI's default is 5 requests/s); a short timeout for faults that stall.
    return init_profile(base_url, gateway.api_key, timeout=kwargs.pop("timeout", 10), rate_limit=None,
                        name="generated", **kwargs)


def _ran(outcomes: dict) -> dict:
    return {name: o for name, o in outcomes.items() if o.outcome != "skipped"}


@pytest.fixture(scope="module")
def clean():
    with SplitPathGateway(split=False) as gateway:
        result = _init(gateway, gateway.origin + "/v1")
        gateway.sent_by_init = gateway.requests
        yield gateway, result


def test_init_on_the_clean_gateway_writes_a_valid_commented_profile_within_the_budget(clean):
    gateway, result = clean
    assert result.problems == [] and result.unreachable is None
    assert result.requests == gateway.sent_by_init <= MAX_REQUESTS  # counted where they arrive
    data = yaml.safe_load(result.text)
    assert data["models"]["text"] == "ref-text-1" and data["models"]["responses_only"] == "ref-pro-1"
    assert data["models"]["reasoning"] == "ref-reason-1" and data["models"]["unavailable"] == "ref-down-1"
    caps = data["capabilities"]
    assert caps["responses.store"] == {"rejected": {"status": 400, "type": "invalid_request_error",
                                                    "code": "operation_not_allowed", "param": "store"}}
    assert caps["responses.tools"] == "supported" and caps["responses.streaming"] == "supported"
    settings = data["settings"]
    assert settings["event_line"] == "required" and settings["done_sentinel"] == "forbidden"
    assert settings["request_id_header"] == "x-request-id" and settings["error_event_shape"] == "flat"
    assert settings["routing_metadata_source"] == "body"
    assert "error_codes" not in data  # the reference gateway answers the canonical codes
    # Every entry has its evidence on the line above it.
    lines = result.text.splitlines()
    for number, line in enumerate(lines):
        if line.startswith("  ") and not line.startswith("  #"):
            assert lines[number - 1].startswith("  # "), line
    assert "  # POST /responses (store: true) -> 400" in result.text
    assert gateway.api_key not in result.text


def test_the_whole_suite_passes_with_the_generated_profile(clean, pytester, tmp_path):
    gateway, result = clean
    profile = tmp_path / "generated.yaml"
    profile.write_text(result.text, encoding="utf-8")
    outcomes = run_suite(pytester, REPO, "--base-url", gateway.origin + "/v1", "--api-key", gateway.api_key,
                         "--profile", str(profile), "--concurrency", "4", "--report-dir", str(tmp_path / "r"))
    ran = _ran(outcomes)
    assert {name: o.text[:300] for name, o in ran.items() if o.outcome != "passed"} == {}
    assert len(ran) >= 85


STORED_API = ("responses.store", "responses.previous_response_id", "responses.previous_response_id.not_found",
              "responses.background", "responses.retrieve", "responses.retrieve.stream", "responses.input_items",
              "responses.cancel", "responses.delete", "responses.conversations", "responses.input_tokens",
              "responses.compact")


def test_init_on_a_stateful_gateway_finds_the_stored_response_api_and_the_suite_passes(pytester, tmp_path):
    """previous_response_id is chained to the response kept with store: true (the first probe's was
    store: false, which a stateful target rightly does not find), and the stored-response endpoints are
    probed one by one; the state cases then run, and pass."""
    with SplitPathGateway(split=False, stateful=True) as gateway:
        result = _init(gateway, gateway.origin + "/v1")
        assert result.problems == [] and result.requests == gateway.requests <= MAX_REQUESTS
        capabilities = yaml.safe_load(result.text)["capabilities"]
        assert {cap: capabilities.get(cap) for cap in STORED_API} == {cap: "supported" for cap in STORED_API}
        assert "not probed" not in result.text  # the budget holds every probe
        profile = tmp_path / "stateful.yaml"
        profile.write_text(result.text, encoding="utf-8")
        outcomes = run_suite(pytester, REPO, "--base-url", gateway.origin + "/v1", "--api-key", gateway.api_key,
                             "--profile", str(profile), "--concurrency", "4", "--report-dir", str(tmp_path / "r"))
    ran = _ran(outcomes)
    assert {name: o.text[:300] for name, o in ran.items() if o.outcome != "passed"} == {}
    assert len([name for name in ran if name.startswith("state.")]) >= 14


def test_init_on_the_stateless_gateway_declares_no_stored_response_endpoint(clean):
    capabilities = yaml.safe_load(clean[1].text)["capabilities"]
    assert capabilities["responses.store"] != "supported"
    for cap in ("responses.retrieve", "responses.input_items", "responses.delete", "responses.conversations"):
        assert cap not in capabilities, cap  # nothing was stored to ask for: left undeclared, skipped


def test_init_finds_split_paths_from_the_origin_and_the_suite_passes_through_them(pytester, tmp_path):
    with SplitPathGateway() as gateway:
        result = _init(gateway, gateway.origin)
        assert result.problems == [] and result.requests == gateway.requests <= MAX_REQUESTS
        data = yaml.safe_load(result.text)
        # /responses is the default under the origin, so it needs no entry.
        assert data["paths"] == {"chat_completions": "/v1/chat/completions",
                                 "models": "/v1/models", "directory": "/v1/directory/models",
                                 "assets": "/v1/assets"}
        profile = tmp_path / "split.yaml"
        profile.write_text(result.text, encoding="utf-8")
        outcomes = run_suite(pytester, REPO, "--base-url", gateway.origin, "--api-key", gateway.api_key,
                             "--profile", str(profile), "--concurrency", "4", "--report-dir", str(tmp_path / "r"))
    ran = _ran(outcomes)
    assert {name: o.text[:300] for name, o in ran.items() if o.outcome != "passed"} == {}
    assert len(ran) >= 85


def _fault_names() -> list:
    names = []
    for name in sorted(FAULTS):
        # The template names a class of switches, not one: one concrete member stands for it.
        names.append("drop:instructions" if name == DROP_TEMPLATE else name)
    return names


@pytest.mark.parametrize("fault", _fault_names())
def test_init_writes_a_valid_profile_whatever_one_fault_the_gateway_has(fault):
    with SplitPathGateway(faults=[fault], split=False) as gateway:
        result = _init(gateway, gateway.origin + "/v1", timeout=4)
        received = gateway.requests
    assert result.unreachable is None
    assert result.problems == [], result.problems
    assert result.requests == received <= MAX_REQUESTS
    assert "Traceback" not in result.text and "stopped on an unexpected answer" not in result.text
    assert yaml.safe_load(result.text)["name"] == "generated"


def test_cli_writes_the_file_and_never_the_key(capsys, tmp_path):
    out = tmp_path / "My Gateway.yaml"
    with SplitPathGateway(split=False) as gateway:
        code = main(["profile", "init", "--base-url", gateway.origin + "/v1", "--api-key", gateway.api_key,
                     "--model", "text=ref-text-2", "--rate-limit", "1000", "-o", str(out)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    text = out.read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    assert data["name"] == "my-gateway" and data["models"]["text"] == "ref-text-2"
    assert "  # given with --model\n  text: \"ref-text-2\"" in text
    assert f"wrote {out}" in captured.err and "--profile" in captured.err
    assert gateway.api_key not in captured.err + captured.out + text


@pytest.mark.parametrize("args, message", [
    (["--base-url", "ftp://x"], "expected an http:// or https:// URL"),
    (["--base-url", "http://127.0.0.1:1", "--model", "text"], "expected ROLE=ID"),
    (["--base-url", "http://127.0.0.1:1", "--rate-limit", "0"], "--rate-limit must be more than 0"),
])
def test_cli_refuses_bad_arguments_in_one_line(capsys, args, message):
    assert main(["profile", "init", *args]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_cli_says_an_unreachable_target_in_one_line_and_writes_nothing(capsys, tmp_path):
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed once the with ends: nothing listens there
    out = tmp_path / "p.yaml"
    assert main(["profile", "init", "--base-url", f"http://127.0.0.1:{port}/v1", "-o", str(out)]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"respcheck: cannot reach the target at http://127.0.0.1:{port}/v1") and "\n" not in err
    assert not out.exists()


def test_the_cli_paces_at_five_requests_a_second_by_default(monkeypatch):
    import respcheck.profile_init as init

    seen = {}

    class Refused(Exception):
        pass

    def capture(target, transport=None):
        seen["target"] = target
        raise Refused

    monkeypatch.setattr(init, "Client", capture)
    with pytest.raises(Refused):
        main(["profile", "init", "--base-url", "http://127.0.0.1:1/v1", "--request-timeout", "7"])
    assert seen["target"].rate_limit == 5.0 and seen["target"].timeout == 7.0
