"""Routing, on both endpoints: where the gateway says who served the request
(a profile setting: the body's routing_metadata, or headers), and whether
that obeys `gateway.models`, `providers`/`exclude_providers` and
`optimize: cost` (against the prices of the gateway's own directory)."""

from __future__ import annotations

from ..failures import Failure
from .chat import is_chat
from .context import CheckContext

REQUIRED = ("provider", "provider_model_id", "model_canonical", "routing_strategy")


def routing_metadata(ctx: CheckContext) -> dict | None:
    """The routing facts of an answer, wherever the profile says they are."""
    source = ctx.profile.settings.get("routing_metadata_source", "body")
    if source == "headers":
        names = ctx.profile.settings.get("routing_headers") or {}
        found = {field: ctx.exchange.response_headers.get(header.lower()) for field, header in names.items()}
        return {k: v for k, v in found.items() if v is not None}
    if source == "none" or not isinstance(ctx.body, dict):
        return None
    meta = ctx.body.get("routing_metadata")
    return meta if isinstance(meta, dict) else None


def _applies(ctx: CheckContext) -> bool:
    return ctx.ok_status and (ctx.is_responses_create or is_chat(ctx)) and \
        ctx.profile.settings.get("routing_metadata_source", "body") != "none" and \
        isinstance(ctx.body, dict) and ctx.body.get("status") not in ("failed",)


def check_routing_metadata(ctx: CheckContext) -> list[Failure]:
    if not _applies(ctx):
        return []
    meta = routing_metadata(ctx)
    where = "routing_metadata" if ctx.profile.settings.get("routing_metadata_source", "body") == "body" else "headers"
    if meta is None:
        return [ctx.fail("routing.metadata", f"the answer does not say who served it (no {where})",
                         path="$.routing_metadata")]
    missing = [k for k in REQUIRED if not meta.get(k)] if where == "routing_metadata" else \
        [k for k in (ctx.profile.settings.get("routing_headers") or {}) if not meta.get(k)]
    if missing:
        return [ctx.fail("routing.metadata", f"{where} lacks {missing}", path="$.routing_metadata")]
    return []


def check_routing_request(ctx: CheckContext) -> list[Failure]:
    """What the request's `gateway` block asked for is what served it."""
    request = ctx.exchange.request_json if isinstance(ctx.exchange.request_json, dict) else {}
    gateway = request.get("gateway") if isinstance(request.get("gateway"), dict) else {}
    if not gateway or not _applies(ctx):
        return []
    meta = routing_metadata(ctx) or {}
    failures = []
    models = gateway.get("models")
    canonical = meta.get("model_canonical")
    if isinstance(models, list) and canonical is not None:
        if canonical not in models:
            failures.append(ctx.fail("routing.model", f"served by {canonical!r}, which is not among gateway.models "
                                                      f"{models}", path="$.routing_metadata.model_canonical"))
        elif ctx.body.get("model") != canonical:
            failures.append(ctx.fail("routing.model", f"`model` says {ctx.body.get('model')!r} but routing_metadata "
                                                      f"says {canonical!r} served", path="$.model"))
    routing = gateway.get("routing") if isinstance(gateway.get("routing"), dict) else {}
    provider = meta.get("provider")
    if provider is not None:
        allowed, excluded = routing.get("providers"), routing.get("exclude_providers")
        if isinstance(allowed, list) and allowed and provider not in allowed:
            failures.append(ctx.fail("routing.providers", f"served by provider {provider!r}, outside the allowlist "
                                                          f"{allowed}", path="$.routing_metadata.provider"))
        if isinstance(excluded, list) and provider in excluded:
            failures.append(ctx.fail("routing.providers", f"served by provider {provider!r}, which "
                                                          f"exclude_providers {excluded} ruled out",
                                     path="$.routing_metadata.provider"))
    return failures


def _endpoint_token(ctx: CheckContext) -> str:
    token = "chat_completions" if is_chat(ctx) else "responses"
    if ctx.profile.settings.get("endpoint_naming") == "paths":
        return "/v1/chat/completions" if token == "chat_completions" else "/v1/responses"
    return token


def _price(provider: dict) -> float | None:
    prices = [t.get("input_price", 0) + t.get("output_price", 0) for t in provider.get("tiers") or []
              if isinstance(t, dict) and isinstance(t.get("input_price"), (int, float))
              and isinstance(t.get("output_price"), (int, float))]
    return min(prices) if prices else None


def check_cheapest(ctx: CheckContext) -> list[Failure]:
    """`optimize: cost` served by the cheapest eligible provider, by the
    directory the case captured (expect: routing: {cheapest_in: ...})."""
    directory = (ctx.expect.get("routing") or {}).get("cheapest_in")
    if not isinstance(directory, dict) or not _applies(ctx):
        return []
    request = ctx.exchange.request_json if isinstance(ctx.exchange.request_json, dict) else {}
    gateway = request.get("gateway") if isinstance(request.get("gateway"), dict) else {}
    routing = gateway.get("routing") if isinstance(gateway.get("routing"), dict) else {}
    models = gateway.get("models") or [request.get("model")]
    endpoint = _endpoint_token(ctx)
    candidates = []
    for model in models:
        for provider in (directory.get(model) or {}).get("providers") or []:
            name = provider.get("provider")
            if endpoint not in (provider.get("supported_endpoints") or [endpoint]):
                continue
            if routing.get("providers") and name not in routing["providers"]:
                continue
            if name in (routing.get("exclude_providers") or []):
                continue
            price = _price(provider)
            if price is not None:
                candidates.append((price, model, name))
    meta = routing_metadata(ctx) or {}
    if not candidates or meta.get("provider") is None:
        return []
    best = min(candidates)
    served = [c for c in candidates if c[2] == meta.get("provider") and c[1] == meta.get("model_canonical", c[1])]
    if not served or served[0][0] > best[0]:
        cost = f"{served[0][0]:g}" if served else "unknown"
        return [ctx.fail("routing.cheapest", f"optimize cost was served by {meta.get('provider')!r} (price {cost} per "
                         f"1M in+out), but {best[2]!r} for {best[1]!r} costs {best[0]:g}",
                         path="$.routing_metadata.provider", at=("routing",))]
    return []
