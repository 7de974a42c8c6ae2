"""models.listing on listing entries: an entry's supported_endpoints must say what the directory says, and
where the profile says entries carry them (listing_endpoints: required) every entry must. Legal variations
(another order, an entry without them under `optional`) pass. The end-to-end proofs are the
models_list_* switches in tests/test_faults.py."""

from __future__ import annotations

import json

from respcheck.checks import CheckContext
from respcheck.checks.models import check_listings
from respcheck.exchange.client import Exchange
from respcheck.model.profile import load_profile

DIRECTORY = {"models": {
    "chatty": {"providers": [{"provider": "a", "supported_endpoints": ["chat_completions", "responses"]}]},
    "pro": {"providers": [{"provider": "a", "supported_endpoints": ["responses"]}]},
}}
CHATTY = {"id": "chatty", "supported_endpoints": ["chat_completions", "responses"]}
PRO = {"id": "pro", "supported_endpoints": ["responses"]}


def run(default: list, responses: list, required: bool = True) -> list[str]:
    profile = load_profile("reference")
    profile.settings["listing_endpoints"] = "required" if required else "optional"
    exchange = Exchange("GET", "http://x/v1/directory/models", {}, None, status=200,
                        response_headers={"content-type": "application/json"}, body=json.dumps(DIRECTORY).encode())
    ctx = CheckContext(exchange=exchange, expect={"listings": {"default": default, "responses": responses}},
                       profile=profile, path="/directory/models", method="GET")
    failures = check_listings(ctx)
    assert all(f.rule == "models.listing" for f in failures)
    return [f.message for f in failures]


def test_agreeing_listings_pass_in_any_order():
    assert run([CHATTY], [PRO, CHATTY]) == []
    reordered = {**CHATTY, "supported_endpoints": ["responses", "chat_completions"]}
    assert run([reordered], [PRO, reordered]) == []


def test_an_entry_claiming_chat_for_a_responses_only_model_fails():
    claims = {**PRO, "supported_endpoints": ["chat_completions", "responses"]}
    (message,) = run([CHATTY], [claims, CHATTY])
    assert message == ("/models?endpoint=responses data[0] (pro) claims supported_endpoints "
                       "['chat_completions', 'responses'], the directory says ['responses']")


def test_entries_without_endpoints_fail_only_where_the_profile_says_they_carry_them():
    bare = [{"id": "chatty"}], [{"id": "pro"}, {"id": "chatty"}]
    assert run(*bare, required=False) == []
    messages = run(*bare, required=True)
    assert len(messages) == 3 and all("has no supported_endpoints" in m for m in messages)
    assert messages[0].startswith("/models data[0] (chatty)")
