"""Fake models and providers of the reference gateway, and the model endpoints built from them.

Each model plays one *role* that case files name (text, reasoning, vision,
responses_only, unavailable); a target profile maps roles to model ids. The
capabilities tell the truth: `vision`, `reasoning` and `logprobs` are enforced
(an image, a reasoning effort or logprobs sent to a model without them gets a
400), the others hold for every model. Prices are US dollars per one million
tokens; each model's cheapest provider is the cheapest on input, on output and
on their sum, so no reading of "cheapest" can disagree. A provider is down for
one model (`available=False`), never globally; `ref-down-1` has only down ones.
"""

from __future__ import annotations

from dataclasses import dataclass, field

BOTH_ENDPOINTS = ("chat_completions", "responses")
CREATED = 1_735_689_600  # 2025-01-01: fixed so listings are deterministic


@dataclass(frozen=True)
class Provider:
    name: str
    input_price: float
    output_price: float
    available: bool = True  # False: the provider is down for this model
    data_policy: str = "no_training"

    @property
    def price(self) -> float:
        """What `optimize: cost` compares: a million tokens each way."""
        return self.input_price + self.output_price

    def provider_model_id(self, model_id: str) -> str:
        return f"{self.name}/{model_id}"


@dataclass(frozen=True)
class Model:
    id: str
    role: str
    display_name: str
    family: str
    providers: tuple[Provider, ...]
    supported_endpoints: tuple[str, ...] = BOTH_ENDPOINTS
    capabilities: dict[str, bool] = field(default_factory=dict)
    context_window: int = 128_000
    max_output_tokens: int = 16_384

    @property
    def available(self) -> bool:
        return any(p.available for p in self.providers)

    def supports(self, endpoint: str) -> bool:
        return endpoint in self.supported_endpoints

    def cheapest_provider(self) -> Provider:
        # The default strategy is cost-focus: price of a million tokens each way.
        return min(self.providers, key=lambda p: (p.price, p.name))


def _caps(**enabled: bool) -> dict[str, bool]:
    base = {"streaming": True, "tools": True, "structured_output": True, "json_mode": True,
            "vision": False, "reasoning": False, "logprobs": True, "prompt_caching": True}
    return {**base, **enabled}


MODELS: dict[str, Model] = {
    m.id: m
    for m in [
        Model("ref-text-1", "text", "Reference Text 1", "ref-text",
              (Provider("alpha", 0.50, 1.50), Provider("beta", 0.40, 1.20), Provider("gamma", 0.45, 1.30)),
              capabilities=_caps(vision=True)),
        Model("ref-text-2", "text", "Reference Text 2", "ref-text",
              (Provider("gamma", 0.20, 0.80), Provider("delta", 0.30, 1.00)), capabilities=_caps()),
        Model("ref-reason-1", "reasoning", "Reference Reasoning 1", "ref-reason",
              (Provider("alpha", 2.00, 8.00),), capabilities=_caps(reasoning=True, vision=True, logprobs=False)),
        Model("ref-vision-1", "vision", "Reference Vision 1", "ref-vision",
              (Provider("beta", 1.00, 4.00),), capabilities=_caps(vision=True)),
        Model("ref-pro-1", "responses_only", "Reference Pro 1", "ref-pro",
              (Provider("alpha", 15.00, 60.00),), supported_endpoints=("responses",),
              capabilities=_caps(vision=True, logprobs=False)),
        Model("ref-down-1", "unavailable", "Reference Down 1", "ref-text",
              (Provider("gamma", 0.10, 0.30, available=False), Provider("alpha", 0.12, 0.36, available=False)),
              capabilities=_caps()),
    ]
}

def list_at_least(count: int) -> None:
    """Scale runs (`respcheck serve --models N`, the --discover benchmark): fill
    the catalogue up to `count` models with more text models, each a copy of
    ref-text-2 under its own id (they answer, price and claim the same). Only
    for a gateway process of its own: the catalogue is module state."""
    template = MODELS["ref-text-2"]
    for n in range(1, max(0, count - len(MODELS)) + 1):
        model_id = f"ref-scale-{n:03d}"
        MODELS[model_id] = Model(model_id, "text", f"Reference Scale {n}", template.family, template.providers,
                                 template.supported_endpoints, dict(template.capabilities))


ENDPOINTS = ("chat_completions", "responses")
PROVIDERS = frozenset(p.name for m in MODELS.values() for p in m.providers)
# Fixed per-provider latency and throughput: what `optimize: ttft` / `tps` rank by.
TTFT_MS = {"alpha": 400, "beta": 250, "gamma": 150, "delta": 300}
THROUGHPUT_TPS = {"alpha": 120, "beta": 60, "gamma": 90, "delta": 200}


def cost_usd(provider: Provider, input_tokens: int, output_tokens: int) -> float:
    cost = (input_tokens * provider.input_price + output_tokens * provider.output_price) / 1_000_000
    return round(cost, 10)


def model_entry(model: Model) -> dict:
    """One entry of `GET /v1/models`, shaped like Auriko's OpenAI-compatible list."""
    return {
        "id": model.id,
        "object": "model",
        "created": CREATED,
        "owned_by": "respcheck",
        "context_window": model.context_window,
        "supported_endpoints": list(model.supported_endpoints),
        "providers": [
            {"name": p.name, "input_price": p.input_price, "output_price": p.output_price,
             "data_policy": p.data_policy}
            for p in model.providers
        ],
    }


def model_list(endpoint: str = "chat_completions", faults: frozenset[str] = frozenset()) -> dict:
    """`GET /v1/models`: by default only chat-callable models (responses-only ones need ?endpoint=responses)."""
    data = []
    for model in MODELS.values():
        listed = model.supports(endpoint)
        if "models_list_includes_responses_only" in faults and endpoint == "chat_completions":
            listed = True  # the responses-only model shows up where chat clients look
        if "models_responses_listing_incomplete" in faults and endpoint == "responses" \
                and not model.supports("chat_completions"):
            listed = False  # the responses-only model is missing where it belongs
        if listed:
            entry = model_entry(model)
            if "models_list_claims_chat_for_responses_only" in faults and not model.supports("chat_completions"):
                entry["supported_endpoints"] = ["chat_completions", *entry["supported_endpoints"]]
            if "models_list_endpoints_missing" in faults:
                del entry["supported_endpoints"]
            data.append(entry)
    return {"object": "list", "data": data}


def directory(generated_at: str, faults: frozenset[str] = frozenset()) -> dict:
    """`GET /v1/directory/models`: a dict keyed by model id, one entry per provider."""
    models = {}
    for model in MODELS.values():
        endpoints = list(model.supported_endpoints)
        if "directory_claims_chat_for_responses_only" in faults and not model.supports("chat_completions"):
            endpoints = ["chat_completions", *endpoints]
        capabilities = dict(model.capabilities)
        if "directory_claims_vision_falsely" in faults and model.id == "ref-text-2":
            capabilities["vision"] = True
        models[model.id] = {
            "display_name": model.display_name,
            "family": model.family,
            "providers": [
                {
                    "provider": p.name,
                    "provider_model_id": p.provider_model_id(model.id),
                    "context_window": model.context_window,
                    "max_output_tokens": model.max_output_tokens,
                    "supported_endpoints": endpoints,
                    "capabilities": capabilities,
                    "input_modalities": ["text", "image"] if model.capabilities["vision"] else ["text"],
                    "output_modalities": ["text"],
                    "tiers": [{"name": "standard", "input_price": p.input_price,
                               "output_price": p.output_price}],
                    "data_policy": p.data_policy,
                }
                for p in model.providers
            ],
        }
    return {"models": models, "generated_at": generated_at}
