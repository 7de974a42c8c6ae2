"""A profile's `paths:`: cases keep their logical paths, the request goes to the
target's own, checks still decide on the logical one; asset URLs come from the
origin and the assets path."""

from __future__ import annotations

from pathlib import Path

import pytest

from path_gateway import SplitPathGateway
from respcheck.model.paths import DEFAULT, from_mapping, paths_of
from respcheck.model.profile import ProfileError, load_profile
from suite_runs import run_suite

REPO = Path(__file__).resolve().parent.parent
SPLIT_PATHS = """
paths:
  responses: /responses
  chat_completions: /v1/chat/completions
  models: /v1/models
  directory: /v1/directory/models
  assets: /v1/assets
"""


def _profile(tmp_path: Path, extra: str, name: str = "split") -> Path:
    text = (REPO / "suites" / "profiles" / "reference.yaml").read_text(encoding="utf-8")
    file = tmp_path / f"{name}.yaml"
    file.write_text(text.replace("name: reference", f"name: {name}") + extra, encoding="utf-8")
    return file


def test_logical_paths_map_to_the_profiles_and_keep_their_tail():
    paths = from_mapping({"responses": "/responses", "models": "/v1/models", "directory": "/v1/catalog"})
    assert paths.target("/responses") == "/responses"
    assert paths.target("/models") == "/v1/models"
    assert paths.target("/models/ref-text-1") == "/v1/models/ref-text-1"
    assert paths.target("/directory/models") == "/v1/catalog"  # not read as under /models
    assert paths.target("/chat/completions") == "/chat/completions"  # unmapped: today's default
    assert paths.target("/something/else") == "/something/else"
    assert DEFAULT.target("/models/x") == "/models/x"


def test_assets_come_from_the_origin_and_the_assets_path():
    # The default keeps the embedded gateway's /v1/assets/ working.
    assert DEFAULT.assets_root("http://127.0.0.1:9/v1") == "http://127.0.0.1:9/v1/assets"
    assert DEFAULT.assets_root("http://127.0.0.1:9") == "http://127.0.0.1:9/assets"
    # An explicit assets path is on the origin, whatever the base URL's path is.
    assert from_mapping({"assets": "/static/img"}).assets_root("https://gw.example/api/v2") \
        == "https://gw.example/static/img"


def test_a_profile_file_carries_its_paths(tmp_path):
    profile = load_profile(str(_profile(tmp_path, SPLIT_PATHS)))
    assert paths_of(profile).of("responses") == "/responses"
    assert paths_of(profile).of("chat_completions") == "/v1/chat/completions"
    assert paths_of(load_profile("reference")) == DEFAULT


@pytest.mark.parametrize("bad, fragment", [
    ("paths: {responses: responses}\n", "does not match"),
    ("paths: {responses: /r, embeddings: /v1/embeddings}\n", "embeddings"),
    ("paths: {models: '/v1/models?x=1'}\n", "does not match"),
])
def test_a_bad_path_is_an_error_naming_the_line(tmp_path, bad, fragment):
    file = _profile(tmp_path, bad)
    with pytest.raises(ProfileError) as info:
        load_profile(str(file))
    message = str(info.value)
    assert fragment in message and "paths" in message
    assert f"{file.name}:" in message and info.value.line == len(file.read_text().splitlines())


def test_the_request_goes_to_the_profiles_path_and_the_curl_line_shows_it(tmp_path):
    from respcheck.exchange.client import Client, Target
    from respcheck.execution.runner import run_case
    from respcheck.model.case import load_case_file
    from respcheck.report.curl import curl_command
    from respcheck.report.secrets import Masker

    profile = load_profile(str(_profile(tmp_path, SPLIT_PATHS)))
    case = next(c for c in load_case_file(REPO / "cases" / "responses" / "text.yaml")
                if c.id == "responses.text.string_input" and not c.matrix.get("stream"))
    with SplitPathGateway() as gateway:
        client = Client(Target(base_url=gateway.origin, api_key=gateway.api_key, timeout=15))
        try:
            run = run_case(case, client, profile, profile.models)
        finally:
            client.close()
    assert run.failures == []
    exchange = run.steps[0].exchange
    assert exchange.url == f"{gateway.origin}/responses"
    assert f"{gateway.origin}/responses" in curl_command(exchange, Masker([gateway.api_key]))


def test_the_whole_suite_passes_through_one_origin_with_split_paths(pytester, tmp_path):
    profile = _profile(tmp_path, SPLIT_PATHS)
    with SplitPathGateway() as gateway:
        outcomes = run_suite(pytester, REPO, "--base-url", gateway.origin, "--api-key", gateway.api_key,
                             "--profile", str(profile), "--concurrency", "4", "--report-dir", str(tmp_path / "r"))
        # The same target without `paths:` cannot be reached at /v1/responses: the mapping is what made it work.
        plain = run_suite(pytester, REPO, "--base-url", gateway.origin + "/v1", "--api-key", gateway.api_key,
                          "--profile", str(_profile(tmp_path, "", "plain")), "--concurrency", "4",
                          "-k", "string_input", "--report-dir", str(tmp_path / "p"))
    ran = {name: o for name, o in outcomes.items() if o.outcome != "skipped"}
    failed = {name: o.text[:300] for name, o in ran.items() if o.outcome != "passed"}
    assert failed == {}
    assert len(ran) >= 85
    # Asset URLs (vision.image_url fetches one) and the directory and listings went to their own paths.
    assert ran["vision.image_url"].outcome == "passed"
    assert ran["models.listings_agree"].outcome == "passed"
    assert plain and all(o.outcome == "failed" and 404 in o.statuses for o in plain.values())
