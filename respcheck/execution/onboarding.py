"""Wiring --discover into the session: replace the collected items by one
item per (onboarding case, directory model), and name a broken claim."""

from __future__ import annotations

from .discover import DiscoveryError, Planned, claim_rule, plan, read_directory
from ..failures import Failure
from ..options import UsageError
from .runner import CaseRun

ONBOARDING_TAG = "onboarding"
ALSO_RUN_TAG = "models"
ENDPOINT_CODES = {"response_api_only", "no_responses_endpoint", "no_compatible_endpoint"}  # the listing/directory cases run once, beside the per-model items


def discover_items(items: list, target, only: str | None, item_class) -> list:
    client = target.start()
    try:
        models = read_directory(client, target.settings.profile)  # at the profile's paths.directory
    except DiscoveryError as exc:
        raise UsageError(str(exc)) from None
    broken = [item for item in items if not hasattr(item, "case")]  # bad case files still fail, visibly
    items = [item for item in items if hasattr(item, "case")]
    onboarding = [item for item in items if ONBOARDING_TAG in item.case.tags]
    if not onboarding:
        raise UsageError(f"--discover found no case tagged {ONBOARDING_TAG!r} among the collected ones")
    wanted = {m.strip() for m in only.split(",")} if only else None
    # A model the profile knows to be unavailable (its `unavailable` role) has nothing to onboard.
    down = target.settings.models.get("unavailable")
    models = [m for m in models if m.id != down or (wanted and m.id in wanted)]
    if wanted and not wanted & {m.id for m in models}:
        raise UsageError(f"--discover-models {only!r} names no model of the directory "
                         f"({', '.join(m.id for m in models)})")
    by_case = {item.case.name: item for item in onboarding}
    generated = []
    for planned in plan([item.case for item in onboarding], models, wanted):
        parent = by_case[planned.case.name].parent
        item = item_class.from_parent(parent, name=f"{planned.case.name}@{planned.model}", case=planned.case,
                                      discovered=planned)
        for tag in planned.case.tags:
            item.add_marker(tag)
        item.user_properties.append(("claims", "; ".join(planned.claims)))
        generated.append(item)
    return broken + generated + [item for item in items if ALSO_RUN_TAG in item.case.tags and item not in onboarding]


def label_broken_claim(run: CaseRun, planned: Planned) -> None:
    """A claimed feature the model cannot deliver is the directory's fault as
    much as the model's: say so first, as its own rule."""
    if not run.failures or planned.expect_override is not None:
        return
    refused = [s.exchange for s in run.steps if s.exchange is not None and (s.exchange.status or 0) >= 400]
    if not refused:
        return
    body = refused[-1].json
    code = body.get("error", {}).get("code") if isinstance(body, dict) and isinstance(body.get("error"), dict) else None
    # An endpoint refusal (response_api_only, 404/405) breaks the endpoint claim, whatever else was claimed.
    endpoint_refusal = code in ENDPOINT_CODES or refused[-1].status in (404, 405)
    rule = "models.endpoints" if endpoint_refusal else claim_rule(planned.claims)
    run.failures.insert(0, Failure(rule, f"the directory claims {', '.join(planned.claims)} for {planned.model}, "
                                         f"but the request was refused with HTTP {refused[-1].status}"
                                         + (f" ({code})" if code else "")))
