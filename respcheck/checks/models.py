"""The model listings agree with the directory: a model is listed on each
endpoint its directory entry claims, a responses-only model stays out of the
default (chat) listing, and a listing entry's own `supported_endpoints` say
what the directory says (where the profile's `listing_endpoints: required`,
every entry carries them). The case captures both listings first and hands
them over as `expect: listings: {default: ..., responses: ...}`."""

from __future__ import annotations

from ..failures import Failure
from .context import CheckContext


def _endpoints(entry: dict) -> set[str]:
    found: set[str] = set()
    for provider in entry.get("providers") or []:
        if isinstance(provider, dict):
            found.update(e for e in provider.get("supported_endpoints") or [] if isinstance(e, str))
    return found


def _ids(listing) -> set[str]:
    return {m.get("id") for m in listing or [] if isinstance(m, dict)}


def _entry_problems(where: str, listing, models: dict, required: bool) -> list[str]:
    """A listing entry's supported_endpoints against its directory entry's."""
    problems = []
    for index, item in enumerate(listing or []):
        if not isinstance(item, dict) or not isinstance(models.get(item.get("id")), dict):
            continue
        claimed = item.get("supported_endpoints")
        if claimed is None:
            if required:
                problems.append(f"{where}[{index}] ({item['id']}) has no supported_endpoints; the profile says "
                                f"listing entries carry them")
            continue
        known = _endpoints(models[item["id"]])
        if isinstance(claimed, list) and known and set(claimed) != known:
            problems.append(f"{where}[{index}] ({item['id']}) claims supported_endpoints {sorted(map(str, claimed))}, "
                            f"the directory says {sorted(known)}")
    return problems


def check_listings(ctx: CheckContext) -> list[Failure]:
    listings = ctx.expect.get("listings")
    body = ctx.body
    if not isinstance(listings, dict) or not ctx.ok_status or not isinstance(body, dict):
        return []
    models = body.get("models")
    if not isinstance(models, dict):
        return []  # the directory schema reports it
    paths = ctx.profile.settings.get("endpoint_naming") == "paths"
    chat, responses = ("/v1/chat/completions", "/v1/responses") if paths else ("chat_completions", "responses")
    default, by_responses = _ids(listings.get("default")), _ids(listings.get("responses"))
    failures = []
    for model_id, entry in sorted(models.items()):
        endpoints = _endpoints(entry if isinstance(entry, dict) else {})
        if responses in endpoints and model_id not in by_responses:
            failures.append(f"{model_id} supports {responses} but is missing from /models?endpoint=responses")
        if chat in endpoints and model_id not in default:
            failures.append(f"{model_id} supports {chat} but is missing from the default /models listing")
        if chat not in endpoints and model_id in default:
            failures.append(f"{model_id} is in the default /models listing, which is for chat-callable models, "
                            f"but its directory entry lists only {sorted(endpoints)}")
    for model_id in sorted(default | by_responses):
        if model_id not in models:
            failures.append(f"{model_id} is listed by /models but absent from the directory")
    required = ctx.profile.settings.get("listing_endpoints") == "required"
    failures += _entry_problems("/models data", listings.get("default"), models, required)
    failures += _entry_problems("/models?endpoint=responses data", listings.get("responses"), models, required)
    return [ctx.fail("models.listing", text, path="$.models", at=("listings",)) for text in failures[:5]]
