"""`respcheck profile init`: probe a target with a bounded number of requests
and write a commented profile from what it answered.

    prober.py       sending: the request budget, strict JSON, one line of evidence per answer
    endpoints.py    where the endpoints are, the model list and directory, stream framing
    roles.py        which model plays which role (--model, else a reasoned pick)
    probes.py       Responses basics, errors, state, inputs and one probe per feature
    chat_routing.py chat features, the special-role models, gateway routing
    findings.py     each profile entry with its evidence
    writer.py       the YAML text, checked as `--profile` would check it
"""

from __future__ import annotations

from dataclasses import dataclass

from ..exchange.client import Client, Target
from ..report.secrets import Masker
from . import chat_routing, probes, state_probes
from .endpoints import Survey, is_origin, probe_directory, probe_listing_by_endpoint, probe_models, request_id_header
from .findings import Entry, Findings
from .prober import MAX_REQUESTS, PROBE_SENDS, BudgetSpent, Prober, clean
from .roles import facts, pick
from .writer import problems, profile_name, render

# Most valuable first: when the budget runs out, what is left undeclared gates the fewest cases.
PROBES = (
    probes.probe_responses, probes.probe_chat, probes.probe_stream,
    probes.probe_errors, probes.probe_auth, probes.probe_state, state_probes.probe_stored, probes.probe_tools,
    probes.probe_structured, probes.probe_vision, probes.probe_reasoning, probes.probe_logprobs, probes.probe_truncation,
    chat_routing.probe_unavailable, chat_routing.probe_routing, chat_routing.probe_chat_features,
    chat_routing.probe_chat_stream, probes.probe_failure, probes.probe_vision_refused,
    chat_routing.probe_responses_only, probes.probe_inputs, probes.probe_triggers, chat_routing.probe_chat_failure,
    chat_routing.probe_chat_reasoning, probes.probe_caching,
)


# These send to the Responses endpoint with the text model: without both they have nothing to ask.
NEEDS_RESPONSES = frozenset(p for p in PROBES if p.__module__ in (probes.__name__, state_probes.__name__)) \
    - {probes.probe_responses}


@dataclass
class InitResult:
    text: str  # the profile ("" when the target did not answer at all)
    requests: int  # how many were sent
    problems: list[str]  # what --profile would refuse in the text (empty: it is valid)
    unreachable: str | None = None  # the target answered no request: why, in words


def init_profile(base_url: str, api_key: str | None = None, models: dict[str, str] | None = None, *,
                 timeout: float = 30.0, rate_limit: float | None = 5.0, name: str | None = None,
                 budget: int = MAX_REQUESTS, client: Client | None = None) -> InitResult:
    base_url = base_url.rstrip("/")
    masker = Masker([api_key or ""])
    if client is None:
        target = Target(base_url=base_url, api_key=api_key, timeout=timeout, rate_limit=rate_limit,
                        max_sends=PROBE_SENDS,
                        stream_idle_timeout=timeout, stream_timeout=max(timeout, 60.0), max_stream_events=20_000)
        client = Client(target)
        owned = True
    else:
        owned = False
    findings = Findings(base_url=base_url, request_timeout=timeout)
    survey = Survey(Prober(client, masker, budget), findings, origin_only=is_origin(base_url))
    try:
        for step in (probe_models, probe_listing_by_endpoint, probe_directory, _roles(models or {}), *PROBES):
            if step in NEEDS_RESPONSES and not ("responses" in survey.paths and survey.roles.get("text")):
                continue
            _run(step, survey)
            if survey.answers and all(a.status is None for a in survey.answers):
                return InitResult("", survey.prober.sent, [], unreachable=survey.answers[-1].error)
    finally:
        if owned:
            client.close()
    request_id_header(survey)
    for role, model_id in survey.roles.items():
        findings.models.setdefault(role, Entry(model_id, "picked"))
    for role in [r for r in findings.models if r not in survey.roles]:
        del findings.models[role]  # a pick a probe disproved (the unavailable role)
    text = render(findings, name or "my-gateway", survey.prober.sent)
    return InitResult(text, survey.prober.sent, problems(text))


def _roles(given: dict[str, str]):
    def probe_roles(survey: Survey) -> None:
        picked = pick(facts(survey.listing, survey.directory), given)
        for role, (model_id, why) in picked.items():
            survey.roles[role] = model_id
            survey.findings.models[role] = Entry(model_id, why)
        if not picked:
            survey.findings.notes.append("no model was listed and none given with --model ROLE=ID")
    return probe_roles


def _run(step, survey: Survey) -> None:
    """One probe; a spent budget or an answer the probe could not read
    becomes a note in the profile, never a traceback."""
    label = step.__name__.replace("probe_", "")
    try:
        step(survey)
    except BudgetSpent as exc:
        survey.findings.notes.append(f"{label}: not probed ({exc}); what it decides is left undeclared, "
                                     "so its cases are skipped")
    except Exception as exc:  # an answer no probe foresaw: the rest of the survey goes on
        survey.findings.notes.append(f"{label}: stopped on an unexpected answer ({type(exc).__name__}: "
                                     f"{clean(survey.prober.masker.text(str(exc)), 160)})")


__all__ = ["InitResult", "init_profile", "profile_name"]
