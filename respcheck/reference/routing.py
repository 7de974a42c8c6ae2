"""Routing: which model and which provider serve a request, on both endpoints.

`gateway: {models: [...], routing: {mode, optimize, allow_fallbacks, providers,
exclude_providers, ...}}` is validated here (`validate`) and decided here
(`route`). The rules, all deterministic:

- Candidates are (model, provider) pairs of the requested models that are known,
  callable on the endpoint, and whose provider is up for that model, inside the
  `providers` allowlist and outside `exclude_providers`. Provider names the
  gateway does not know are ignored, each with a `routing_metadata.warnings`
  entry `{type: unknown_provider, ...}`; an allowlist of only unknown names
  restricts nothing. With several models, those that cannot do what the request
  needs (vision for images, reasoning for an effort, logprobs) are passed over
  while one that can is left.
- `optimize` ranks candidates: `cost` / `cost-focus` by input + output price per
  1M tokens (lowest first); `ttft` / `ttft-focus` by the fixed per-provider
  `catalog.TTFT_MS` (lowest first); `tps` / `tps-focus` by `catalog.THROUGHPUT_TPS`
  (highest first); `balanced` by the sum of the three ranks. Ties go to the
  cheaper, then to the model listed first, then to the provider name.
  The default is `balanced` (Auriko's is cost-focus): a default that coincides
  with `cost` would let a gateway that drops `optimize: cost` pass the cost cases.
- `mode: pool` (the default) takes the best candidate across all models;
  `mode: fallback` tries the models in order and takes the best candidate of the
  first model that has one. With `allow_fallbacks: false` only the first model
  is tried (in pool mode it changes nothing: unavailable providers are known
  before the request is sent, so nothing falls back).
- No candidate: 503 `no_provider_available`. A chat request whose models are
  all responses-only: 400 `response_api_only`.
- `routing_metadata.routing_strategy` is the optimize used, prefixed with
  `fallback:` in fallback mode: "cost-focus", "ttft", "fallback:balanced".

The routing fault switches are plain `if "<name>" in faults:` branches below.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import logprobs
from .catalog import MODELS, PROVIDERS, THROUGHPUT_TPS, TTFT_MS, Model, Provider, cost_usd
from .errors import ApiError, invalid

MODES = ("pool", "fallback")
OPTIMIZE = ("cost", "cost-focus", "ttft", "ttft-focus", "tps", "tps-focus", "balanced")
DEFAULT_MODE = "pool"
DEFAULT_OPTIMIZE = "balanced"
GATEWAY_FIELDS = frozenset({"models", "routing", "metadata"})
# Auriko's RoutingOptions: all accepted; those not named in the module docstring are accepted and ignored.
ROUTING_FIELDS = frozenset({
    "optimize", "weights", "max_cost_per_1m", "max_ttft_ms", "min_throughput_tps", "ttft_percentile",
    "throughput_percentile", "providers", "exclude_providers", "prefer", "mode", "allow_fallbacks",
    "max_fallback_attempts", "timeout_ms", "deadline_ms", "data_policy", "only_byok", "only_platform",
    "require_parameters", "tier",
})


@dataclass(frozen=True)
class Options:
    mode: str = DEFAULT_MODE
    optimize: str = DEFAULT_OPTIMIZE
    allow_fallbacks: bool = True
    providers: tuple[str, ...] = ()  # empty: no allowlist
    exclude_providers: tuple[str, ...] = ()

    @property
    def strategy(self) -> str:
        return f"fallback:{self.optimize}" if self.mode == "fallback" else self.optimize


@dataclass(frozen=True)
class Route:
    model: Model  # the model that serves (and whose output the answer carries)
    provider: Provider
    strategy: str
    reported_model: str  # what `model` and `model_canonical` say: the serving model's id
    warnings: tuple[dict, ...] = ()

    def metadata(self, input_tokens: int, output_tokens: int) -> dict:
        meta = {
            "provider": self.provider.name,
            "provider_model_id": self.provider.provider_model_id(self.model.id),
            "model_canonical": self.reported_model,
            "routing_strategy": self.strategy,
            "cost": {"usd": cost_usd(self.provider, input_tokens, output_tokens)},
        }
        if self.warnings:
            meta["warnings"] = [dict(w) for w in self.warnings]
        return meta


# --- validation -------------------------------------------------------------------------------

def _bad(param: str, message: str) -> ApiError:
    return invalid("invalid_parameter_value", message, param)


def _names(value, param: str) -> None:
    if value is not None and not (isinstance(value, list) and all(isinstance(n, str) and n for n in value)):
        raise _bad(param, f"'{param}' must be a list of provider names.")


def validate(body: dict) -> None:
    """The `gateway` block apart from `models` (checked with `model` in request.py)."""
    gateway = body.get("gateway")
    if gateway is None:
        return
    for key in gateway:
        if key not in GATEWAY_FIELDS:
            raise invalid("unknown_field", f"Unknown parameter: 'gateway.{key}'.", f"gateway.{key}")
    if gateway.get("metadata") is not None and not isinstance(gateway["metadata"], dict):
        raise _bad("gateway.metadata", "'gateway.metadata' must be an object.")
    routing = gateway.get("routing")
    if routing is None:
        return
    if not isinstance(routing, dict):
        raise _bad("gateway.routing", "'gateway.routing' must be an object.")
    for key in routing:
        if key not in ROUTING_FIELDS:
            raise invalid("unknown_field", f"Unknown parameter: 'gateway.routing.{key}'.", f"gateway.routing.{key}")
    if routing.get("mode") is not None and routing["mode"] not in MODES:
        raise _bad("gateway.routing.mode", f"'gateway.routing.mode' must be one of {', '.join(MODES)}.")
    if routing.get("optimize") is not None and routing["optimize"] not in OPTIMIZE:
        raise _bad("gateway.routing.optimize", f"'gateway.routing.optimize' must be one of {', '.join(OPTIMIZE)}.")
    if routing.get("allow_fallbacks") is not None and not isinstance(routing["allow_fallbacks"], bool):
        raise _bad("gateway.routing.allow_fallbacks", "'gateway.routing.allow_fallbacks' must be a boolean.")
    _names(routing.get("providers"), "gateway.routing.providers")
    _names(routing.get("exclude_providers"), "gateway.routing.exclude_providers")


def options(body: dict) -> Options:
    """The routing options of a validated request, defaults filled in."""
    routing = (body.get("gateway") or {}).get("routing") or {}
    return Options(
        mode=routing.get("mode") or DEFAULT_MODE,
        optimize=routing.get("optimize") or DEFAULT_OPTIMIZE,
        allow_fallbacks=routing.get("allow_fallbacks") is not False,
        providers=tuple(routing.get("providers") or ()),
        exclude_providers=tuple(routing.get("exclude_providers") or ()),
    )


# --- the decision -----------------------------------------------------------------------------

def _warning(name: str, field: str) -> dict:
    return {"type": "unknown_provider", "code": "unknown_provider",
            "message": f"Provider '{name}' in gateway.routing.{field} is not known to this gateway; it was ignored."}


def _provider_filter(opts: Options, faults: frozenset[str]) -> tuple[set[str] | None, set[str], tuple[dict, ...]]:
    """(allowlist or None, excluded names, warnings) with unknown names dropped."""
    warnings = [_warning(n, "providers") for n in dict.fromkeys(opts.providers) if n not in PROVIDERS]
    warnings += [_warning(n, "exclude_providers") for n in dict.fromkeys(opts.exclude_providers) if n not in PROVIDERS]
    allowed = {n for n in opts.providers if n in PROVIDERS} or None
    excluded = {n for n in opts.exclude_providers if n in PROVIDERS}
    if "providers_ignored" in faults:
        allowed = None
    if "exclude_providers_ignored" in faults:
        excluded = set()
    return allowed, excluded, tuple(warnings)


def _ranked(candidates: list[tuple[int, Model, Provider]], optimize: str,
            faults: frozenset[str]) -> list[tuple[int, Model, Provider]]:
    sign = 1
    if optimize in ("cost", "cost-focus") and "optimize_cost_ignored" in faults:
        sign = -1  # the most expensive first

    def tie(c):
        return (sign * c[2].price, c[0], c[2].name)

    if optimize.startswith("ttft"):
        return sorted(candidates, key=lambda c: (TTFT_MS.get(c[2].name, 10_000), *tie(c)))
    if optimize.startswith("tps"):
        return sorted(candidates, key=lambda c: (-THROUGHPUT_TPS.get(c[2].name, 0), *tie(c)))
    if optimize == "balanced":
        ranks = {id(c): 0 for c in candidates}
        for key in (tie, lambda c: TTFT_MS.get(c[2].name, 10_000), lambda c: -THROUGHPUT_TPS.get(c[2].name, 0)):
            for rank, c in enumerate(sorted(candidates, key=key)):
                ranks[id(c)] += rank
        return sorted(candidates, key=lambda c: (ranks[id(c)], *tie(c)))
    return sorted(candidates, key=tie)


def needs(parsed) -> set[str]:
    """The capabilities a request needs from the model that serves it."""
    body = parsed.body
    wanted = set()
    if parsed.images:
        wanted.add("vision")
    if (body.get("reasoning") or {}).get("effort") not in (None, "none"):
        wanted.add("reasoning")
    if logprobs.INCLUDE in (body.get("include") or []):
        wanted.add("logprobs")
    return wanted


def _no_provider(model: Model) -> ApiError:
    if not model.available:
        message = f"No provider is currently available for '{model.id}'."
    else:
        message = f"No provider of '{model.id}' is left within gateway.routing providers / exclude_providers."
    return ApiError(503, "api_error", "no_provider_available", message)


def route(parsed, faults: frozenset[str], endpoint: str = "responses", only: Model | None = None) -> Route:
    """Decide who serves `parsed` (a request.ParsedRequest); `only` restricts the decision to one model."""
    body = parsed.body
    param = "model" if "model" in body else "gateway.models"
    opts = options(body)
    if only is not None:
        known = [only]
    else:
        known = [MODELS[m] for m in dict.fromkeys(parsed.models) if m in MODELS]
    if not known:
        missing = parsed.models[0]
        if "unknown_model_400" in faults:
            raise invalid("invalid_parameter_value", f"Invalid model: '{missing}'.", param)
        raise ApiError(404, "not_found_error", "model_not_found", f"The model '{missing}' does not exist.", param)

    if endpoint == "chat_completions" and "response_api_only_served" not in faults:
        callable_ = [m for m in known if m.supports(endpoint)]
        if not callable_:
            if "response_api_only_wrong_code" in faults:
                raise invalid("model_not_found", f"The model '{known[0].id}' does not exist.", param)
            raise invalid("response_api_only", f"The model '{known[0].id}' is only available through the "
                          "Responses API: send this request to POST /v1/responses.", param)
        known = callable_

    wanted = needs(parsed)
    fitting = [m for m in known if all(m.capabilities.get(n) for n in wanted)]
    models = fitting or known  # none fits: the first model's own error explains why
    allowed, excluded, warnings = _provider_filter(opts, faults)

    def candidates(index: int, model: Model) -> list[tuple[int, Model, Provider]]:
        return [(index, model, p) for p in model.providers
                if p.available and (allowed is None or p.name in allowed) and p.name not in excluded]

    chosen = None
    if opts.mode == "fallback":
        for index, model in enumerate(models):
            found = candidates(index, model)
            if found:
                chosen = _ranked(found, opts.optimize, faults)[0]
                break
            if not opts.allow_fallbacks and "allow_fallbacks_ignored" not in faults:
                break  # the first model's failure is the answer
            if "fallback_not_followed" in faults:
                break
    else:
        found = [c for index, model in enumerate(models) for c in candidates(index, model)]
        if found:
            chosen = _ranked(found, opts.optimize, faults)[0]

    if chosen is None:
        if "unavailable_model_200" in faults:
            model = models[0]
            return Route(model, model.cheapest_provider(), opts.strategy, model.id, warnings)
        raise _no_provider(models[0])
    index, model, provider = chosen
    reported = model.id
    if "fallback_reports_requested_model" in faults and opts.mode == "fallback" and only is None:
        reported = parsed.models[0]  # the answer names the first model requested, whoever served
    return Route(model, provider, opts.strategy, reported, warnings)
