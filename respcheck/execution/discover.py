"""Onboarding mode (`--discover`): read the target's model directory and run
the onboarding cases against every model, by what the directory claims it
can do — one run, a model × feature matrix.

A claim is tested, not trusted: a case generated because the directory says
a model has vision (or serves chat) fails with `models.capabilities` (or
`models.endpoints`) when the model cannot do it; a model without the chat
endpoint must refuse chat with `response_api_only`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..model.case import Case
from ..exchange.client import Client
from ..model.paths import paths_of

# Capability a case requires -> the directory's capability flag that promises it.
CLAIMS = {
    "responses.tools": "tools", "responses.tools.parallel": "tools", "chat.tools": "tools",
    "responses.vision": "vision", "chat.vision": "vision",
    "responses.structured.json_schema": "structured_output", "responses.structured.json_object": "structured_output",
    "chat.structured": "structured_output",
    "responses.reasoning.summary": "reasoning", "chat.reasoning_effort": "reasoning",
    "responses.logprobs": "logprobs",
    "responses.streaming": "streaming",
}
ENDPOINTS = {"/responses": ("responses", "/v1/responses"), "/chat/completions": ("chat_completions",
                                                                                   "/v1/chat/completions")}


class DiscoveryError(Exception):
    pass


@dataclass
class ModelInfo:
    id: str
    endpoints: set = field(default_factory=set)
    capabilities: set = field(default_factory=set)


@dataclass
class Planned:
    case: Case
    model: str
    role: str
    claims: tuple  # what the directory promised that made this item
    expect_override: dict | None = None  # a refusal the model owes instead of the case's expectations
    skip: str | None = None


def read_directory(client: Client, profile=None) -> list[ModelInfo]:
    headers = client.build_headers("default", None, None)
    path = paths_of(profile).target("/directory/models")  # the profile's `paths.directory`
    exchange = client.send("GET", path, headers=headers, body=None)
    body = exchange.json
    if exchange.error or exchange.status != 200 or not isinstance(body, dict) or not isinstance(body.get("models"), dict):
        reason = exchange.error or f"HTTP {exchange.status}"
        raise DiscoveryError(f"--discover needs the target's model directory (GET {path}): {reason}")
    models = []
    for model_id, entry in sorted(body["models"].items()):
        info = ModelInfo(model_id)
        for provider in (entry or {}).get("providers") or []:
            if not isinstance(provider, dict):
                continue
            info.endpoints.update(e for e in provider.get("supported_endpoints") or [] if isinstance(e, str))
            info.capabilities.update(k for k, v in (provider.get("capabilities") or {}).items() if v is True)
        models.append(info)
    return models


def _endpoint_of(case: Case) -> str:
    return case.steps[-1].request.get("path", "/responses").rstrip("/")


def plan(cases: list[Case], models: list[ModelInfo], only: set[str] | None = None) -> list[Planned]:
    """One item per (onboarding case, model) the directory makes relevant."""
    planned = []
    for model in models:
        if only and model.id not in only:
            continue
        for case in cases:
            role = (case.models or ("text",))[0]
            endpoint = _endpoint_of(case)
            names = ENDPOINTS.get(endpoint, ())
            claims = [f"endpoint {names[0]}"] if names else []
            serves = not names or any(n in model.endpoints for n in names)
            needs = sorted({CLAIMS[c] for c in case.all_requires if c in CLAIMS})
            missing = [n for n in needs if n not in model.capabilities]
            if not serves:
                if endpoint == "/chat/completions" and not needs:
                    planned.append(Planned(case, model.id, role, (f"no {names[0]} endpoint",), expect_override={
                        "status": 400, "error": {"code": "{{errors.response_api_only}}"}}))
                continue
            if missing:
                continue  # not claimed: nothing to hold the model to
            planned.append(Planned(case, model.id, role, tuple(claims + [f"capability {n}" for n in needs])))
    return planned


def claim_rule(claims: tuple) -> str:
    return "models.capabilities" if any(c.startswith("capability") for c in claims) else "models.endpoints"
