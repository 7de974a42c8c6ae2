"""Fake models and providers of the reference gateway, and the model endpoints built from them.

Each model plays one *role* that case files name (text, reasoning, vision,
responses_only, unavailable); a target profile maps roles to model ids. The
`vision` and `reasoning` capabilities are enforced: an image sent to a model
without vision, or a reasoning effort to one without reasoning, gets a 400.
Prices are US dollars per one million tokens.
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
    available: bool = True
    context_window: int = 128_000
    max_output_tokens: int = 16_384

    def cheapest_provider(self) -> Provider:
        # The default strategy is cost-focus: price of a million tokens each way.
        return min(self.providers, key=lambda p: (p.input_price + p.output_price, p.name))


def _caps(**enabled: bool) -> dict[str, bool]:
    base = {"streaming": True, "tools": True, "structured_output": True, "json_mode": True,
            "vision": False, "reasoning": False, "logprobs": True, "prompt_caching": True}
    return {**base, **enabled}


MODELS: dict[str, Model] = {
    m.id: m
    for m in [
        Model("ref-text-1", "text", "Reference Text 1", "ref-text",
              (Provider("alpha", 0.50, 1.50), Provider("beta", 0.40, 1.20)), capabilities=_caps(vision=True)),
        Model("ref-text-2", "text", "Reference Text 2", "ref-text",
              (Provider("gamma", 0.20, 0.80),), capabilities=_caps()),
        Model("ref-reason-1", "reasoning", "Reference Reasoning 1", "ref-reason",
              (Provider("alpha", 2.00, 8.00),), capabilities=_caps(reasoning=True, vision=True, logprobs=False)),
        Model("ref-vision-1", "vision", "Reference Vision 1", "ref-vision",
              (Provider("beta", 1.00, 4.00),), capabilities=_caps(vision=True)),
        Model("ref-pro-1", "responses_only", "Reference Pro 1", "ref-pro",
              (Provider("alpha", 15.00, 60.00),), supported_endpoints=("responses",),
              capabilities=_caps(vision=True, logprobs=False)),
        Model("ref-down-1", "unavailable", "Reference Down 1", "ref-text",
              (Provider("gamma", 0.10, 0.30),), capabilities=_caps(), available=False),
    ]
}

ENDPOINTS = ("chat_completions", "responses")


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
             "data_policy": "no_training"}
            for p in model.providers
        ],
    }


def model_list(endpoint: str = "chat_completions") -> dict:
    """`GET /v1/models`: by default only chat-callable models (responses-only ones need ?endpoint=responses)."""
    data = [model_entry(m) for m in MODELS.values() if endpoint in m.supported_endpoints]
    return {"object": "list", "data": data}


def directory(generated_at: int) -> dict:
    """`GET /v1/directory/models`: a dict keyed by model id, one entry per provider."""
    models = {}
    for model in MODELS.values():
        models[model.id] = {
            "display_name": model.display_name,
            "family": model.family,
            "providers": [
                {
                    "provider": p.name,
                    "provider_model_id": p.provider_model_id(model.id),
                    "context_window": model.context_window,
                    "max_output_tokens": model.max_output_tokens,
                    "supported_endpoints": list(model.supported_endpoints),
                    "capabilities": dict(model.capabilities),
                    "input_modalities": ["text", "image"] if model.capabilities["vision"] else ["text"],
                    "output_modalities": ["text"],
                    "tiers": [{"name": "standard", "input_price": p.input_price,
                               "output_price": p.output_price}],
                }
                for p in model.providers
            ],
        }
    return {"models": models, "generated_at": generated_at}
