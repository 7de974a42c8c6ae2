"""The reference gateway's routing (gateway.models, gateway.routing) on both endpoints, plain and
streamed; its model listing and directory, and their agreement with what the endpoints do; and
every chat, routing and model-endpoint fault switch."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import auriko
import httpx
import pytest
from auriko.errors.types import AurikoAPIError
from auriko.models.providers import DirectoryResponse, ModelList
from auriko.route_types import GatewayOptions, RoutingMetadata, RoutingOptions
from gateway_probes import BODY_READING_FAULTS, broken_probes, memoized, probe_tests, read_stream

from respcheck.reference import DEFAULT_API_KEY, FAULTS, ReferenceServer
from respcheck.reference.assets import data_url
from respcheck.reference.catalog import ENDPOINTS, MODELS, THROUGHPUT_TPS, TTFT_MS, cost_usd
from respcheck.reference.engine import NO_IMAGE
from respcheck.reference.faults import GATEWAY_AREAS
from respcheck.reference.routing import OPTIMIZE

HEADERS = {"Authorization": f"Bearer {DEFAULT_API_KEY}"}
TERMINALS = ("response.completed", "response.incomplete", "response.failed")
PONG = "Reply with exactly: PONG"
RED = data_url("red-8x8.png")
CAPABILITIES = ("tools", "vision", "reasoning", "structured_output", "logprobs", "streaming")


# --- one exchange with either endpoint, plain or streamed ------------------------------------------

@dataclass
class Result:
    status: int
    body: dict | None = None  # the JSON body of a plain answer or an error
    events: list[dict] = field(default_factory=list)  # a stream's JSON frames
    frames: list[str] = field(default_factory=list)  # a stream's data, as sent
    error: str | None = None  # "timeout" or "cut" when the stream did not end cleanly

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def terminal(self) -> dict | None:
        """The Response a Responses stream ended with."""
        found = [e for e in self.events if e.get("type") in TERMINALS]
        return found[-1].get("response") if found else None

    @property
    def usage_chunk(self) -> dict | None:
        """A chat stream's usage chunk."""
        found = [e for e in self.events if e.get("usage")]
        return found[-1] if found else None

    @property
    def chunk_deltas(self) -> list[dict]:
        return [e["choices"][0]["delta"] for e in self.events if e.get("choices")]

    @property
    def error_code(self) -> str | None:
        error = (self.body or {}).get("error")
        return error.get("code") if isinstance(error, dict) else None


def exchange(http, server, path: str, body: dict | None = None, *, stream: bool = False,
             method: str = "POST") -> Result:
    url = server.base_url + path
    if method == "GET":
        resp = http.get(url, headers=HEADERS)
        return Result(resp.status_code, _json(resp))
    if not stream:
        resp = http.post(url, json=body, headers=HEADERS)
        return Result(resp.status_code, _json(resp))
    resp, raw, error = read_stream(http, url, body, headers=HEADERS)
    if resp.status_code >= 400 or not resp.headers.get("content-type", "").startswith("text/event-stream"):
        return Result(resp.status_code, _loads(raw))
    frames = []
    for block in raw.decode().replace("\r\n", "\n").split("\n\n"):
        data = "\n".join(line[5:].removeprefix(" ") for line in block.split("\n") if line.startswith("data:"))
        if data:
            frames.append(data)
    events = [e for e in map(_loads, frames) if isinstance(e, dict)]
    return Result(resp.status_code, None, events, frames, error)


def _loads(data):
    try:
        return json.loads(data)
    except (TypeError, ValueError):
        return None


def _json(resp: httpx.Response) -> dict | None:
    value = _loads(resp.content)
    return value if isinstance(value, dict) else None


@dataclass
class Served:
    """What an answer of either endpoint says about who served it."""

    model: str | None
    meta: dict | None
    text: str | None
    usage: tuple[int, int] | None  # (input or prompt, output or completion) tokens


def served(result: Result, endpoint: str) -> Served:
    if endpoint == "responses":
        body = result.terminal if result.events else result.body
        texts = [p.get("text", "") for i in body.get("output") or [] if i.get("type") == "message"
                 for p in i.get("content") or [] if p.get("type") == "output_text"]
        usage = body.get("usage")
        return Served(body.get("model"), body.get("routing_metadata"), "".join(texts) if texts else None,
                      (usage["input_tokens"], usage["output_tokens"]) if usage else None)
    if result.events:
        last = result.usage_chunk or {}
        usage = last.get("usage")
        content = "".join(d.get("content") or "" for d in result.chunk_deltas)
        return Served(result.events[0].get("model"), last.get("routing_metadata"), content,
                      (usage["prompt_tokens"], usage["completion_tokens"]) if usage else None)
    body = result.body
    usage = body.get("usage")
    return Served(body.get("model"), body.get("routing_metadata"), body["choices"][0]["message"]["content"],
                  (usage["prompt_tokens"], usage["completion_tokens"]) if usage else None)


def request_for(endpoint: str, spec: dict, prompt: str | list = PONG) -> tuple[str, dict]:
    """(path, body) asking `prompt` with the routing of `spec` ({model} or {gateway: ...})."""
    if endpoint == "responses":
        return "/responses", {**spec, "input": prompt}
    messages = [{"role": "user", "content": prompt}] if isinstance(prompt, str) else prompt
    return "/chat/completions", {**spec, "messages": messages}


def ask(http, server, endpoint: str, spec: dict, stream: bool = False, prompt: str | list = PONG) -> Result:
    path, body = request_for(endpoint, spec, prompt)
    return exchange(http, server, path, body, stream=stream)


WAYS = [(endpoint, stream) for endpoint in ("responses", "chat") for stream in (False, True)]
WAY_IDS = [f"{endpoint}-{'stream' if stream else 'plain'}" for endpoint, stream in WAYS]


def _routing(models=None, **routing) -> dict:
    gateway = {}
    if models is not None:
        gateway["models"] = models
    if routing:
        gateway["routing"] = routing
    return {"gateway": gateway}


def _model(model: str, **routing) -> dict:
    return {"model": model, **(_routing(**routing) if routing else {})}


# === the catalog behind the routing =====================================================================

def test_prices_make_the_cheapest_unambiguous():
    text1 = MODELS["ref-text-1"]
    assert len(text1.providers) >= 3
    assert len({(p.input_price, p.output_price) for p in text1.providers}) == len(text1.providers)
    for model in MODELS.values():
        cheapest = model.cheapest_provider()
        for measure in (lambda p: p.input_price, lambda p: p.output_price, lambda p: p.price):
            ranked = sorted(model.providers, key=measure)
            assert ranked[0] == cheapest, model.id
            assert len(ranked) == 1 or measure(ranked[0]) < measure(ranked[1]), model.id
    assert {p.name: (p.input_price, p.output_price) for p in text1.providers} == {
        "alpha": (0.50, 1.50), "beta": (0.40, 1.20), "gamma": (0.45, 1.30)}
    assert text1.cheapest_provider().name == "beta"
    assert not MODELS["ref-down-1"].available and not any(p.available for p in MODELS["ref-down-1"].providers)
    assert all(model.available for model in MODELS.values() if model.id != "ref-down-1")
    # Every optimize mode picks someone else among ref-text-1's providers, so the tests below can tell them apart.
    names = [p.name for p in text1.providers]
    assert min(names, key=TTFT_MS.get) == "gamma" and max(names, key=THROUGHPUT_TPS.get) == "alpha"


# === routing, on both endpoints, plain and streamed =====================================================

# name -> (routing spec, (model, provider, routing_strategy) that serve it)
ROUTES = {
    "default": (_model("ref-text-1"), ("ref-text-1", "gamma", "balanced")),
    "other-model-default": (_model("ref-text-2"), ("ref-text-2", "gamma", "balanced")),
    "cost": (_model("ref-text-1", optimize="cost"), ("ref-text-1", "beta", "cost")),
    "cost-focus": (_model("ref-text-1", optimize="cost-focus"), ("ref-text-1", "beta", "cost-focus")),
    "ttft": (_model("ref-text-1", optimize="ttft"), ("ref-text-1", "gamma", "ttft")),
    "ttft-focus": (_model("ref-text-1", optimize="ttft-focus"), ("ref-text-1", "gamma", "ttft-focus")),
    "tps": (_model("ref-text-1", optimize="tps"), ("ref-text-1", "alpha", "tps")),
    "tps-focus": (_model("ref-text-1", optimize="tps-focus"), ("ref-text-1", "alpha", "tps-focus")),
    "balanced": (_model("ref-text-1", optimize="balanced"), ("ref-text-1", "gamma", "balanced")),
    "pool-default": (_routing(["ref-text-1", "ref-text-2"]), ("ref-text-2", "gamma", "balanced")),
    "pool-cost": (_routing(["ref-text-1", "ref-text-2"], mode="pool", optimize="cost"),
                  ("ref-text-2", "gamma", "cost")),
    "pool-tps": (_routing(["ref-text-1", "ref-text-2"], optimize="tps"), ("ref-text-2", "delta", "tps")),
    "pool-ttft-tie-goes-to-the-cheaper": (_routing(["ref-text-1", "ref-text-2"], optimize="ttft"),
                                          ("ref-text-2", "gamma", "ttft")),
    "pool-skips-the-unavailable": (_routing(["ref-down-1", "ref-text-1"]), ("ref-text-1", "gamma", "balanced")),
    "pool-without-fallbacks": (_routing(["ref-down-1", "ref-text-2"], allow_fallbacks=False),
                               ("ref-text-2", "gamma", "balanced")),
    "pool-unknown-model-ignored": (_routing(["no-such-model", "ref-text-1"]), ("ref-text-1", "gamma", "balanced")),
    "fallback": (_routing(["ref-down-1", "ref-text-2"], mode="fallback"),
                 ("ref-text-2", "gamma", "fallback:balanced")),
    "fallback-keeps-the-order": (_routing(["ref-text-1", "ref-text-2"], mode="fallback"),
                                 ("ref-text-1", "gamma", "fallback:balanced")),
    "fallback-ttft": (_routing(["ref-down-1", "ref-text-1"], mode="fallback", optimize="ttft"),
                      ("ref-text-1", "gamma", "fallback:ttft")),
    "fallback-first-fine": (_routing(["ref-text-2", "ref-down-1"], mode="fallback", allow_fallbacks=False),
                            ("ref-text-2", "gamma", "fallback:balanced")),
    "fallback-past-the-allowlist": (_routing(["ref-text-2", "ref-text-1"], mode="fallback", providers=["alpha"]),
                                    ("ref-text-1", "alpha", "fallback:balanced")),
    "providers": (_model("ref-text-1", providers=["alpha"]), ("ref-text-1", "alpha", "balanced")),
    "providers-cheapest-of-two": (_model("ref-text-1", providers=["alpha", "gamma"], optimize="cost"),
                                  ("ref-text-1", "gamma", "cost")),
    "exclude": (_model("ref-text-1", exclude_providers=["gamma"]), ("ref-text-1", "beta", "balanced")),
    "exclude-two": (_model("ref-text-1", exclude_providers=["beta", "gamma"]), ("ref-text-1", "alpha", "balanced")),
    "providers-and-exclude": (_model("ref-text-1", providers=["alpha", "beta"], exclude_providers=["beta"]),
                              ("ref-text-1", "alpha", "balanced")),
    "pool-providers": (_routing(["ref-text-1", "ref-text-2"], providers=["beta"]),
                       ("ref-text-1", "beta", "balanced")),
}

# name -> (routing spec, status, code, param)
REFUSED = {
    "no-fallbacks": (_routing(["ref-down-1", "ref-text-2"], mode="fallback", allow_fallbacks=False),
                     503, "no_provider_available", None),
    "only-unavailable": (_routing(["ref-down-1"], mode="fallback"), 503, "no_provider_available", None),
    "providers-none-left": (_model("ref-text-1", providers=["delta"]), 503, "no_provider_available", None),
    "exclude-all": (_model("ref-text-1", exclude_providers=["alpha", "beta", "gamma"]), 503,
                    "no_provider_available", None),
    "model-and-gateway-models": ({"model": "ref-text-1", **_routing(["ref-text-2"])}, 400,
                                 "invalid_parameter_value", "gateway.models"),
    "neither": (_routing(optimize="cost"), 400, "missing_required_parameter", "model"),
    "unknown-models-only": (_routing(["nope-1", "nope-2"]), 404, "model_not_found", "gateway.models"),
    "too-many-models": (_routing(["ref-text-1"] * 11), 400, "invalid_parameter_value", "gateway.models"),
    "empty-models": (_routing([]), 400, "invalid_parameter_value", "gateway.models"),
    "bad-mode": (_model("ref-text-1", mode="round-robin"), 400, "invalid_parameter_value", "gateway.routing.mode"),
    "bad-optimize": (_model("ref-text-1", optimize="cheapest"), 400, "invalid_parameter_value",
                     "gateway.routing.optimize"),
    "allow-fallbacks-string": (_model("ref-text-1", allow_fallbacks="no"), 400, "invalid_parameter_value",
                               "gateway.routing.allow_fallbacks"),
    "providers-string": (_model("ref-text-1", providers="alpha"), 400, "invalid_parameter_value",
                         "gateway.routing.providers"),
    "exclude-not-names": (_model("ref-text-1", exclude_providers=[1]), 400, "invalid_parameter_value",
                          "gateway.routing.exclude_providers"),
    "unknown-routing-field": (_model("ref-text-1", colour="blue"), 400, "unknown_field", "gateway.routing.colour"),
    "unknown-gateway-field": ({"model": "ref-text-1", "gateway": {"route": {}}}, 400, "unknown_field",
                              "gateway.route"),
    "routing-not-object": ({"model": "ref-text-1", "gateway": {"routing": "cost"}}, 400, "invalid_parameter_value",
                           "gateway.routing"),
    "gateway-not-object": ({"model": "ref-text-1", "gateway": ["ref-text-2"]}, 400, "invalid_parameter_value",
                           "gateway"),
}


def test_every_optimize_value_is_routed():
    assert {spec["gateway"]["routing"]["optimize"] for spec, _ in ROUTES.values()
            if "optimize" in (spec.get("gateway") or {}).get("routing", {})} == set(OPTIMIZE)


@pytest.mark.parametrize(("endpoint", "stream"), WAYS, ids=WAY_IDS)
@pytest.mark.parametrize("case", ROUTES)
def test_routes(http, server, case, endpoint, stream):
    spec, (model, provider, strategy) = ROUTES[case]
    result = ask(http, server, endpoint, spec, stream)
    assert result.status == 200, result.body
    got = served(result, endpoint)
    assert got.text == "PONG" and got.model == model
    prices = next(p for p in MODELS[model].providers if p.name == provider)
    assert got.meta == {"provider": provider, "provider_model_id": f"{provider}/{model}", "model_canonical": model,
                        "routing_strategy": strategy, "cost": {"usd": cost_usd(prices, *got.usage)}}


@pytest.mark.parametrize(("endpoint", "stream"), WAYS, ids=WAY_IDS)
@pytest.mark.parametrize("case", REFUSED)
def test_refused_routes(http, server, case, endpoint, stream):
    spec, status, code, param = REFUSED[case]
    result = ask(http, server, endpoint, spec, stream)
    assert result.status == status and not result.events, "refused before the stream starts: plain JSON"
    error = result.body["error"]
    assert (error["code"], error["param"]) == (code, param)
    assert error["type"] == {503: "api_error", 404: "not_found_error"}.get(status, "invalid_request_error")


@pytest.mark.parametrize(("endpoint", "stream"), WAYS, ids=WAY_IDS)
def test_unknown_providers_are_ignored_with_a_warning(http, server, endpoint, stream):
    cases = [
        ({"providers": ["nope", "alpha"]}, "alpha", [("providers", "nope")]),
        ({"providers": ["nope"]}, "gamma", [("providers", "nope")]),  # nothing known left: no allowlist
        ({"exclude_providers": ["nope", "gamma"]}, "beta", [("exclude_providers", "nope")]),
        ({"providers": ["x1"], "exclude_providers": ["x2"]}, "gamma", [("providers", "x1"),
                                                                      ("exclude_providers", "x2")]),
    ]
    for routing, provider, unknown in cases:
        got = served(ask(http, server, endpoint, _model("ref-text-1", **routing), stream), endpoint)
        assert got.meta["provider"] == provider
        warnings = got.meta["warnings"]
        assert [w["type"] for w in warnings] == [w["code"] for w in warnings] == ["unknown_provider"] * len(unknown)
        for warning, (where, name) in zip(warnings, unknown):
            assert f"'{name}'" in warning["message"] and f"gateway.routing.{where}" in warning["message"]
    assert "warnings" not in served(ask(http, server, endpoint, _model("ref-text-1"), stream), endpoint).meta


def test_routing_metadata_only_on_the_terminal_event(http, server):
    result = ask(http, server, "responses", _model("ref-text-1"), stream=True)
    assert [e["type"] for e in result.events[:2]] == ["response.created", "response.in_progress"]
    assert all("routing_metadata" not in e["response"] for e in result.events[:2])
    assert result.terminal["routing_metadata"]["provider"] == "gamma"
    chat = ask(http, server, "chat", _model("ref-text-1"), stream=True)
    assert [("routing_metadata" in e) for e in chat.events] == [False] * (len(chat.events) - 1) + [True]


IMAGE_PROMPT_RESPONSES = [{"role": "user", "content": [{"type": "input_text", "text": "What colour is this image?"},
                                                       {"type": "input_image", "image_url": RED}]}]
IMAGE_PROMPT_CHAT = [{"role": "user", "content": [{"type": "text", "text": "What colour is this image?"},
                                                  {"type": "image_url", "image_url": {"url": RED}}]}]


@pytest.mark.parametrize("endpoint", ["responses", "chat"])
def test_routing_passes_over_models_that_cannot_serve_the_request(http, server, endpoint):
    image = IMAGE_PROMPT_RESPONSES if endpoint == "responses" else IMAGE_PROMPT_CHAT
    for mode in ("pool", "fallback"):
        got = served(ask(http, server, endpoint, _routing(["ref-text-2", "ref-vision-1"], mode=mode), prompt=image),
                     endpoint)
        assert got.model == "ref-vision-1" and got.text == "The image is a red square, 8x8 pixels."
    alone = ask(http, server, endpoint, _routing(["ref-text-2"]), prompt=image)
    assert alone.status == 400 and alone.error_code == "vision_not_supported"
    effort = {"reasoning": {"effort": "low"}} if endpoint == "responses" else {"reasoning_effort": "low"}
    got = served(ask(http, server, endpoint, {**_routing(["ref-text-1", "ref-reason-1"]), **effort}), endpoint)
    assert got.model == "ref-reason-1"


def test_chat_passes_over_responses_only_models(http, server):
    for mode in ("pool", "fallback"):
        spec = _routing(["ref-pro-1", "ref-text-2"], mode=mode)
        assert served(ask(http, server, "chat", spec), "chat").model == "ref-text-2"
        assert served(ask(http, server, "responses", spec), "responses").model == (
            "ref-pro-1" if mode == "fallback" else "ref-text-2")


# --- the Auriko SDK as oracle: its own request builder, types and stream reader ---------------------------

def _auriko(server) -> auriko.Client:
    return auriko.Client(api_key=DEFAULT_API_KEY, base_url=server.base_url, max_retries=0)


def test_auriko_sdk_routes_both_endpoints(server):
    client = _auriko(server)
    fallback = GatewayOptions(models=["ref-down-1", "ref-text-2"], routing=RoutingOptions(mode="fallback"))
    chat = client.chat.completions.create(gateway=fallback, messages=[{"role": "user", "content": PONG}])
    assert (chat.model, chat.choices[0].message.content) == ("ref-text-2", "PONG")
    assert isinstance(chat.routing_metadata, RoutingMetadata)
    assert (chat.routing_metadata.provider, chat.routing_metadata.routing_strategy) == ("gamma", "fallback:balanced")
    chunks = list(client.chat.completions.create(gateway=fallback, messages=[{"role": "user", "content": PONG}],
                                                 stream=True))
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "PONG"
    assert chunks[-1].routing_metadata.model_canonical == "ref-text-2" and chunks[-1].usage.total_tokens == 5
    pool = GatewayOptions(models=["ref-text-1", "ref-text-2"], routing=RoutingOptions(optimize="tps"))
    response = client.responses.create(gateway=pool, input=PONG)
    assert response.model == "ref-text-2" and response.routing_metadata.provider == "delta"
    excluded = client.responses.create(model="ref-text-1", input=PONG, gateway=GatewayOptions(
        routing=RoutingOptions(exclude_providers=["beta", "nope"])))
    assert excluded.routing_metadata.provider == "gamma"
    [warning] = excluded.routing_metadata.warnings
    assert warning.type == "unknown_provider" and warning.code == "unknown_provider"
    with pytest.raises(AurikoAPIError, match="upstream provider failed"):
        list(client.chat.completions.create(model="ref-text-1", stream=True,
                                            messages=[{"role": "user", "content": "Simulate an upstream failure"}]))
    with pytest.raises(AurikoAPIError) as raised:
        client.chat.completions.create(model="ref-pro-1", messages=[{"role": "user", "content": PONG}])
    assert raised.value.code == "response_api_only"
    with pytest.raises(AurikoAPIError) as raised:
        client.chat.completions.create(gateway=GatewayOptions(
            models=["ref-down-1", "ref-text-2"], routing=RoutingOptions(mode="fallback", allow_fallbacks=False)),
            messages=[{"role": "user", "content": PONG}])
    assert raised.value.code == "no_provider_available"


def test_auriko_sdk_reads_the_listings_and_the_directory(server):
    client = _auriko(server)
    default, responses = client.models.list(), client.models.list(endpoint="responses")
    assert isinstance(default, ModelList)
    assert [m.id for m in client.models.list(endpoint="chat_completions").data] == [m.id for m in default.data]
    assert {m.id for m in responses.data} - {m.id for m in default.data} == {"ref-pro-1"}
    assert client.models.retrieve("ref-pro-1").supported_endpoints == ["responses"]
    directory = client.models.list_directory()
    assert isinstance(directory, DirectoryResponse) and set(directory.models) == {m.id for m in responses.data}
    for model in responses.data:
        [endpoints] = {tuple(p.supported_endpoints) for p in directory.models[model.id].providers}
        assert list(endpoints) == model.supported_endpoints
        assert [(p.provider, p.tiers[0].input_price, p.tiers[0].output_price)
                for p in directory.models[model.id].providers] == \
            [(p.name, p.input_price, p.output_price) for p in model.providers]


# === model listing and directory ========================================================================

def _get(http, server, path: str) -> httpx.Response:
    return http.get(server.base_url + path, headers=HEADERS)


def test_listings(http, server):
    default = _get(http, server, "/models").json()
    chat = _get(http, server, "/models?endpoint=chat_completions").json()
    responses = _get(http, server, "/models?endpoint=responses").json()
    assert default == chat and default["object"] == "list"
    assert [m["id"] for m in default["data"]] == [m.id for m in MODELS.values() if m.supports("chat_completions")]
    assert [m["id"] for m in responses["data"]] == list(MODELS)
    assert "ref-pro-1" not in [m["id"] for m in default["data"]]
    for entry in responses["data"]:
        assert set(entry) == {"id", "object", "created", "owned_by", "context_window", "supported_endpoints",
                              "providers"}
        assert entry["object"] == "model" and entry["owned_by"] == "respcheck" and isinstance(entry["created"], int)
        assert all(set(p) == {"name", "input_price", "output_price", "data_policy"} for p in entry["providers"])
        assert _get(http, server, f"/models/{entry['id']}").json() == entry
    bogus = _get(http, server, "/models?endpoint=completions")
    assert bogus.status_code == 400 and bogus.json()["error"]["param"] == "endpoint"
    missing = _get(http, server, "/models/nope")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "model_not_found"


def test_directory_agrees_with_the_listings(http, server):
    directory = _get(http, server, "/directory/models").json()
    listed = {m["id"]: m for m in _get(http, server, "/models?endpoint=responses").json()["data"]}
    chat_ids = {m["id"] for m in _get(http, server, "/models").json()["data"]}
    assert set(directory["models"]) == set(listed) and isinstance(directory["generated_at"], str)
    for model_id, entry in directory["models"].items():
        assert entry["family"] and entry["display_name"]
        providers = entry["providers"]
        assert [p["provider"] for p in providers] == [p["name"] for p in listed[model_id]["providers"]]
        for provider, listing in zip(providers, listed[model_id]["providers"]):
            assert set(provider) >= {"provider", "provider_model_id", "context_window", "max_output_tokens",
                                     "capabilities", "input_modalities", "output_modalities",
                                     "supported_endpoints", "tiers", "data_policy"}
            assert provider["supported_endpoints"] == listed[model_id]["supported_endpoints"]
            [tier] = provider["tiers"]
            assert (tier["name"], tier["input_price"], tier["output_price"]) == (
                "standard", listing["input_price"], listing["output_price"])
            assert provider["data_policy"] == listing["data_policy"]
            assert set(provider["capabilities"]) >= set(CAPABILITIES)
            assert ("image" in provider["input_modalities"]) == provider["capabilities"]["vision"]
        assert (model_id in chat_ids) == ("chat_completions" in providers[0]["supported_endpoints"])


def _directory(http, server) -> dict:
    return _get(http, server, "/directory/models").json()["models"]


@pytest.mark.parametrize("model_id", list(MODELS))
def test_every_model_answers_on_the_endpoints_it_claims(http, server, model_id):
    claimed = _directory(http, server)[model_id]["providers"][0]["supported_endpoints"]
    for endpoint, token in (("responses", "responses"), ("chat", "chat_completions")):
        for stream in (False, True):
            result = ask(http, server, endpoint, {"model": model_id}, stream)
            if token not in claimed:
                assert (result.status, result.error_code) == (400, "response_api_only"), endpoint
            elif MODELS[model_id].role == "unavailable":  # listed, but all its providers are down
                assert (result.status, result.error_code) == (503, "no_provider_available"), endpoint
            else:
                assert result.status == 200 and served(result, endpoint).text == "PONG", (endpoint, stream)
    assert set(claimed) <= set(ENDPOINTS)


WEATHER = {"type": "function", "name": "get_weather",
           "parameters": {"type": "object", "properties": {"location": {"type": "string"}}, "required": ["location"]}}
PLACE = {"type": "json_schema", "name": "place", "schema": {
    "type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}


def _feature_request(endpoint: str, capability: str) -> tuple[dict, str | list]:
    """(extra body fields, prompt) that use one capability on one endpoint."""
    chat = endpoint == "chat"
    if capability == "tools":
        tool = {"type": "function", "function": {k: v for k, v in WEATHER.items() if k != "type"}} if chat else WEATHER
        return {"tools": [tool]}, "Use the get_weather tool for Paris."
    if capability == "vision":
        return {}, IMAGE_PROMPT_CHAT if chat else IMAGE_PROMPT_RESPONSES
    if capability == "reasoning":
        return ({"reasoning_effort": "low"} if chat else {"reasoning": {"effort": "low"}}), PONG
    if capability == "structured_output":
        if chat:
            schema = {k: v for k, v in PLACE.items() if k != "type"}
            return {"response_format": {"type": "json_schema", "json_schema": schema}}, "city: Paris"
        return {"text": {"format": PLACE}}, "city: Paris"
    if capability == "logprobs":
        return ({"logprobs": True} if chat else {"include": ["message.output_text.logprobs"]}), PONG
    return {}, PONG  # streaming: the request is streamed


def _feature_works(result: Result, endpoint: str, capability: str) -> bool:
    body = result.body if not result.events else None
    if result.status != 200:
        return False
    if capability == "streaming":
        return served(result, endpoint).text == "PONG"
    if endpoint == "chat":
        choice = body["choices"][0]
        message = choice["message"]
        return {
            "tools": lambda: bool(message.get("tool_calls")),
            "vision": lambda: message["content"] == "The image is a red square, 8x8 pixels.",
            "reasoning": lambda: body["usage"]["completion_tokens_details"]["reasoning_tokens"] > 0,
            "structured_output": lambda: json.loads(message["content"]) == {"city": "Paris"},
            "logprobs": lambda: bool((choice["logprobs"] or {}).get("content")),
        }[capability]()
    items = body["output"]
    parts = [p for i in items if i["type"] == "message" for p in i["content"]]
    return {
        "tools": lambda: any(i["type"] == "function_call" for i in items),
        "vision": lambda: parts[0]["text"] == "The image is a red square, 8x8 pixels.",
        "reasoning": lambda: body["usage"]["output_tokens_details"]["reasoning_tokens"] > 0,
        "structured_output": lambda: json.loads(parts[0]["text"]) == {"city": "Paris"},
        "logprobs": lambda: bool(parts[0]["logprobs"]),
    }[capability]()


REFUSALS = {"vision": "vision_not_supported", "reasoning": "reasoning_not_supported",
            "logprobs": "logprobs_not_supported"}


@pytest.mark.parametrize("capability", CAPABILITIES)
@pytest.mark.parametrize("model_id", [m.id for m in MODELS.values() if m.available])
def test_the_directory_tells_the_truth_about_capabilities(http, server, model_id, capability):
    [claims] = {json.dumps(p["capabilities"]) for p in _directory(http, server)[model_id]["providers"]}
    claimed = json.loads(claims)[capability]
    endpoints = [e for e, token in (("responses", "responses"), ("chat", "chat_completions"))
                 if MODELS[model_id].supports(token)]
    for endpoint in endpoints:
        extra, prompt = _feature_request(endpoint, capability)
        result = ask(http, server, endpoint, {"model": model_id, **extra}, capability == "streaming", prompt)
        if claimed:
            assert _feature_works(result, endpoint, capability), (endpoint, result.body)
        else:
            assert (result.status, result.error_code) == (400, REFUSALS[capability]), (endpoint, result.body)


@pytest.mark.parametrize("endpoint", ["responses", "chat"])
def test_optimize_cost_is_the_directory_cheapest_and_the_default_is_not(http, server, endpoint):
    """The default (balanced) must not coincide with cost, or dropping `optimize: cost` would go unseen."""
    directory = _directory(http, server)
    for model_id, entry in directory.items():
        token = "responses" if endpoint == "responses" else "chat_completions"
        if token not in entry["providers"][0]["supported_endpoints"] or not MODELS[model_id].available:
            continue
        cheapest = min(entry["providers"], key=lambda p: p["tiers"][0]["input_price"] + p["tiers"][0]["output_price"])
        got = served(ask(http, server, endpoint, _model(model_id, optimize="cost")), endpoint)
        assert got.meta["provider"] == cheapest["provider"], model_id
    default = served(ask(http, server, endpoint, _model("ref-text-1")), endpoint)
    assert default.meta["provider"] != "beta"  # ref-text-1's cheapest


# === every chat, routing and model-endpoint fault =======================================================

CHAT_TOOL = {"type": "function", "function": {"name": "get_weather", "parameters": WEATHER["parameters"]}}


def _chat(**body) -> dict:
    return {"path": "/chat/completions", "body": {"model": "ref-text-1", **body}}


def _responses(**body) -> dict:
    return {"path": "/responses", "body": {"model": "ref-text-1", "input": PONG, **body}}


def _get_spec(path: str) -> dict:
    return {"path": path, "method": "GET"}


def _streamed(spec: dict) -> dict:
    return {**spec, "stream": True}


CHAT_TEXT = _chat(messages=[{"role": "user", "content": "Reply with exactly: one two three"}])
CHAT_TOOLS = _chat(messages=[{"role": "user", "content": "Use the get_weather tool for Paris."}], tools=[CHAT_TOOL])
CHAT_ROUND_TRIP = _chat(tools=[CHAT_TOOL], messages=[
    {"role": "user", "content": "Use the get_weather tool for Paris."},
    {"role": "assistant", "content": None, "tool_calls": [
        {"id": "call_1", "type": "function",
         "function": {"name": "get_weather", "arguments": '{"location":"Paris"}'}}]},
    {"role": "tool", "tool_call_id": "call_1", "content": "Sunny, 21 degrees"}])
CHAT_SCHEMA = _chat(messages=[{"role": "user", "content": "city: Paris"}], response_format={
    "type": "json_schema", "json_schema": {k: v for k, v in PLACE.items() if k != "type"}})
CHAT_IMAGE = {**_chat(messages=IMAGE_PROMPT_CHAT), "body": {"model": "ref-vision-1", "messages": IMAGE_PROMPT_CHAT}}
CHAT_REASON = {"path": "/chat/completions", "body": {"model": "ref-reason-1", "reasoning_effort": "high",
                                                     "messages": [{"role": "user", "content": PONG}]}}
CHAT_FAIL = _chat(messages=[{"role": "user", "content": "Simulate an upstream failure"}])
CHAT_PRO = {"path": "/chat/completions",
            "body": {"model": "ref-pro-1", "messages": [{"role": "user", "content": "hi"}]}}
FALLBACK = {"path": "/responses", "body": {**_routing(["ref-down-1", "ref-text-2"], mode="fallback"), "input": PONG}}
NO_FALLBACKS = {"path": "/responses", "body": {
    **_routing(["ref-down-1", "ref-text-2"], mode="fallback", allow_fallbacks=False), "input": PONG}}


def _message(r: Result) -> dict:
    return r.body["choices"][0]["message"] if r.ok and r.body and r.body.get("choices") else {}


def _tool_calls(r: Result) -> list[dict]:
    return _message(r).get("tool_calls") or []


def _provider(r: Result) -> str | None:
    """The provider a plain Responses answer names (tolerant of every fault's shape)."""
    meta = (r.body or {}).get("routing_metadata") if r.ok else None
    return meta.get("provider") if isinstance(meta, dict) else None


def _ids(r: Result) -> list[str]:
    return [m["id"] for m in (r.body or {}).get("data") or []]


def _directory_provider(r: Result, model_id: str) -> dict:
    return (((r.body or {}).get("models") or {}).get(model_id) or {}).get("providers", [{}])[0]


def _unannounced_tool_index(r: Result) -> bool:
    """A tool call fragment whose index no earlier delta announced with an id."""
    announced = set()
    for delta in r.chunk_deltas:
        for call in delta.get("tool_calls") or []:
            if call.get("id"):
                announced.add(call.get("index"))
            elif call.get("index") not in announced:
                return True
    return False


def _finish_reasons(r: Result) -> list:
    return [e["choices"][0].get("finish_reason") for e in r.events if e.get("choices")]


# fault -> (requests, "is broken" predicate over their results). Each predicate is narrow: any other
# single fault (of every area) leaves it False, and these faults leave the other tables' probes alone.
GATEWAY_PROBES = {
    "chat_usage_total_wrong": ([CHAT_TEXT], lambda r: r[0].ok and "usage" in r[0].body and r[0].body["usage"]["total_tokens"] != (
        r[0].body["usage"]["prompt_tokens"] + r[0].body["usage"]["completion_tokens"])),
    "chat_tool_call_flat": ([CHAT_TOOLS], lambda r: any("function" not in c and "name" in c
                                                        for c in _tool_calls(r[0]))),
    "chat_tool_arguments_invalid": ([CHAT_TOOLS], lambda r: any(
        _loads(c.get("function", c).get("arguments")) is None for c in _tool_calls(r[0]))),
    "chat_tool_result_ignored": ([CHAT_ROUND_TRIP], lambda r: r[0].ok
                                 and "Sunny" not in (_message(r[0]).get("content") or "")),
    "chat_response_format_ignored": ([CHAT_SCHEMA], lambda r: bool(_message(r[0]).get("content"))
                                     and _loads(_message(r[0])["content"]) is None),
    "chat_vision_dropped": ([CHAT_IMAGE], lambda r: _message(r[0]).get("content") == NO_IMAGE),
    "chat_reasoning_effort_dropped": ([CHAT_REASON], lambda r: r[0].ok and "usage" in r[0].body and r[0].body["usage"][
        "completion_tokens_details"]["reasoning_tokens"] == 0),
    "chat_stream_no_done": ([_streamed(CHAT_TEXT)], lambda r: bool(r[0].events) and "[DONE]" not in r[0].frames),
    "chat_stream_no_finish_reason": ([_streamed(CHAT_TEXT)], lambda r: bool(r[0].events)
                                     and not any(_finish_reasons(r[0]))),
    "chat_stream_no_usage_chunk": ([_streamed(CHAT_TEXT)], lambda r: bool(r[0].events) and r[0].usage_chunk is None),
    "chat_stream_error_as_event": ([_streamed(CHAT_FAIL)],
                                   lambda r: any(e.get("type") == "error" for e in r[0].events)),
    "chat_stream_tool_index_wrong": ([_streamed(CHAT_TOOLS)], lambda r: _unannounced_tool_index(r[0])),
    "chat_chunk_object_wrong": ([_streamed(CHAT_TEXT)], lambda r: any(
        e.get("object") not in (None, "chat.completion.chunk") for e in r[0].events)),
    "chat_stream_text_differs": ([_streamed(CHAT_TEXT)], lambda r: bool(r[0].events)
                                 and served(r[0], "chat").text != "one two three"),
    "response_api_only_served": ([CHAT_PRO], lambda r: r[0].ok),
    "response_api_only_wrong_code": ([CHAT_PRO], lambda r: r[0].status == 400
                                     and r[0].error_code == "model_not_found"),
    "fallback_not_followed": ([FALLBACK], lambda r: r[0].status == 503),
    "fallback_reports_requested_model": ([FALLBACK], lambda r: r[0].ok and "ref-down-1" in (
        r[0].body.get("model"), (r[0].body.get("routing_metadata") or {}).get("model_canonical"))),
    "allow_fallbacks_ignored": ([NO_FALLBACKS], lambda r: r[0].ok and r[0].body.get("model") == "ref-text-2"),
    "optimize_cost_ignored": ([_responses(gateway={"routing": {"optimize": "cost"}})],
                              lambda r: _provider(r[0]) not in (None, "beta")),
    "providers_ignored": ([_responses(gateway={"routing": {"providers": ["alpha"]}})],
                          lambda r: _provider(r[0]) not in (None, "alpha")),
    "exclude_providers_ignored": ([_responses(gateway={"routing": {"exclude_providers": ["gamma"]}})],
                                  lambda r: _provider(r[0]) == "gamma"),  # the default's pick, excluded
    "routing_metadata_missing": ([_responses(), CHAT_TEXT], lambda r: all(
        x.ok and x.body is not None and "routing_metadata" not in x.body for x in r)),
    "stream_routing_metadata_missing": (
        [_streamed(_responses()), _streamed(CHAT_TEXT)],
        lambda r: r[0].terminal is not None and "routing_metadata" not in r[0].terminal
        and r[1].usage_chunk is not None and "routing_metadata" not in r[1].usage_chunk),
    "model_and_gateway_models_accepted": ([_responses(gateway={"models": ["ref-text-2"]})], lambda r: r[0].ok),
    "unavailable_model_200": ([_responses(model="ref-down-1")], lambda r: r[0].ok),
    "models_list_includes_responses_only": ([_get_spec("/models")], lambda r: "ref-pro-1" in _ids(r[0])),
    "models_responses_listing_incomplete": ([_get_spec("/models?endpoint=responses")],
                                            lambda r: r[0].ok and "ref-pro-1" not in _ids(r[0])),
    "directory_claims_chat_for_responses_only": (
        [_get_spec("/directory/models")],
        lambda r: "chat_completions" in _directory_provider(r[0], "ref-pro-1").get("supported_endpoints", [])),
    "directory_claims_vision_falsely": (
        [_get_spec("/directory/models")],
        lambda r: _directory_provider(r[0], "ref-text-2").get("capabilities", {}).get("vision") is True),
    "model_entry_404": ([_get_spec("/models/ref-text-1")], lambda r: r[0].status == 404),
    "models_list_claims_chat_for_responses_only": (
        [_get_spec("/models?endpoint=responses")],
        lambda r: any(m["id"] == "ref-pro-1" and "chat_completions" in m.get("supported_endpoints", [])
                      for m in (r[0].body or {}).get("data") or [])),
    "models_list_endpoints_missing": ([_get_spec("/models")], lambda r: r[0].ok and bool(_ids(r[0])) and all(
        "supported_endpoints" not in m for m in r[0].body["data"])),
    "chat_tool_name_unoffered": ([CHAT_TOOLS], lambda r: any(
        c.get("function", c).get("name") != "get_weather" for c in _tool_calls(r[0]))),
    "chat_usage_missing": ([CHAT_TEXT], lambda r: r[0].ok and "usage" not in r[0].body),
    "routing_model_mismatch": ([FALLBACK], lambda r: r[0].ok and (r[0].body.get("routing_metadata") or {}).get(
        "model_canonical") not in (None, r[0].body.get("model"))),
    "model_list_object_wrong": ([_get_spec("/models")], lambda r: r[0].ok and r[0].body.get("object") != "list"),
}


def _run(http, server, spec: dict) -> Result:
    return exchange(http, server, spec["path"], spec.get("body"), stream=spec.get("stream", False),
                    method=spec.get("method", "POST"))


def _broken_gateway_probes(http, server) -> set[str]:
    run = memoized(lambda spec: _run(http, server, spec))
    return broken_probes(GATEWAY_PROBES, lambda _name, specs: [run(spec) for spec in specs])


def test_gateway_fault_table_covers_every_gateway_fault():
    assert set(GATEWAY_PROBES) == {name for name, fault in FAULTS.items() if fault.area in GATEWAY_AREAS}
    assert len(GATEWAY_PROBES) == 37


test_clean_gateway_breaks_no_gateway_probe, test_fault_breaks_only_its_own_gateway_probe = probe_tests(
    GATEWAY_PROBES, _broken_gateway_probes, BODY_READING_FAULTS)


# --- what each fault does, exactly -----------------------------------------------------------------------

def _with(fault: str, *specs: dict) -> list[Result]:
    with ReferenceServer(faults=[fault]) as faulty, httpx.Client(timeout=10) as client:
        return [_run(client, faulty, spec) for spec in specs]


def test_chat_fault_details():
    [flat] = _with("chat_tool_call_flat", CHAT_TOOLS)
    [call] = _tool_calls(flat)
    assert set(call) == {"id", "type", "name", "arguments"} and call["arguments"] == '{"location":"Paris"}'
    plain, streamed = _with("chat_tool_arguments_invalid", CHAT_TOOLS, _streamed(CHAT_TOOLS))
    assert _tool_calls(plain)[0]["function"]["arguments"] == '{"location":"Paris"'
    fragments = [c["function"]["arguments"] for d in streamed.chunk_deltas for c in d.get("tool_calls") or []]
    assert "".join(fragments) == '{"location":"Paris"'
    [streamed] = _with("chat_stream_tool_index_wrong", _streamed(CHAT_TOOLS))
    indexes = [c["index"] for d in streamed.chunk_deltas for c in d.get("tool_calls") or []]
    assert indexes[0] == 0 and set(indexes[1:]) == {1}
    [streamed] = _with("chat_stream_text_differs", _streamed(CHAT_TEXT))
    assert served(streamed, "chat").text == "one two " and streamed.frames[-1] == "[DONE]"
    [streamed] = _with("chat_stream_error_as_event", _streamed(CHAT_FAIL))
    assert streamed.events[-1] == {"type": "error", "code": "upstream_error", "param": None,
                                   "message": "The upstream provider failed while generating the response."}
    [streamed] = _with("chat_stream_no_finish_reason", _streamed(CHAT_TEXT))
    assert streamed.usage_chunk is not None and streamed.frames[-1] == "[DONE]"
    [wrong] = _with("response_api_only_wrong_code", CHAT_PRO)
    assert (wrong.status, wrong.body["error"]["type"], wrong.body["error"]["param"]) == (
        400, "invalid_request_error", "model")
    [dropped] = _with("chat_reasoning_effort_dropped", CHAT_REASON)
    assert _message(dropped)["content"] == "PONG" and dropped.body["usage"]["completion_tokens"] == 1


def test_routing_fault_details():
    [reported] = _with("fallback_reports_requested_model", FALLBACK)
    meta = reported.body["routing_metadata"]
    assert (reported.body["model"], meta["model_canonical"], meta["provider_model_id"]) == (
        "ref-down-1", "ref-down-1", "gamma/ref-text-2")
    [expensive] = _with("optimize_cost_ignored", _responses(gateway={"routing": {"optimize": "cost"}}))
    assert _provider(expensive) == "alpha"
    plain, streamed = _with("routing_metadata_missing", _streamed(_responses()), _streamed(CHAT_TEXT))
    assert "routing_metadata" in plain.terminal and "routing_metadata" in streamed.usage_chunk
    plain, chat = _with("stream_routing_metadata_missing", _responses(), CHAT_TEXT)
    assert "routing_metadata" in plain.body and "routing_metadata" in chat.body
    [both] = _with("model_and_gateway_models_accepted", _responses(gateway={"models": ["ref-text-2"]}))
    assert both.body["model"] == "ref-text-1"


def test_model_fault_details():
    chat_refused, listing = _with("directory_claims_chat_for_responses_only", CHAT_PRO, _get_spec("/models"))
    assert chat_refused.error_code == "response_api_only" and "ref-pro-1" not in _ids(listing)
    image = {"path": "/responses", "body": {"model": "ref-text-2", "input": IMAGE_PROMPT_RESPONSES}}
    [refused] = _with("directory_claims_vision_falsely", image)
    assert refused.error_code == "vision_not_supported"
    listed, entry = _with("model_entry_404", _get_spec("/models"), _get_spec("/models/ref-pro-1"))
    assert "ref-text-1" in _ids(listed) and entry.status == 404
