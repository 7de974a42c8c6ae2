"""Which model plays which role the cases name: `--model ROLE=ID` first, else
a pick from what the listing and the directory say of each model — each pick
with the reason it was made, written beside it in the profile."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

ROLES = ("text", "text_alt", "text_only", "reasoning", "vision", "responses_only", "unavailable")
_DOWN_WORDS = re.compile(r"(?i)(?:^|[-_ ])(down|unavailable|offline|disabled)(?:$|[-_ \d])")
_REASONING_IDS = re.compile(r"(?i)(reason|think|^o\d|[-/]o\d|r1\b)")
_VISION_IDS = re.compile(r"(?i)(vision|-vl\b|\bvl-)")


@dataclass
class ModelFacts:
    id: str
    endpoints: set = field(default_factory=set)  # "responses", "chat_completions" (paths are folded to these)
    capabilities: dict = field(default_factory=dict)  # name -> bool, from the directory
    names: str = ""  # display name, family: words a pick may read
    from_directory: bool = False

    def serves(self, endpoint: str) -> bool:
        return not self.endpoints or endpoint in self.endpoints

    def can(self, capability: str) -> bool | None:
        value = self.capabilities.get(capability)
        return value if isinstance(value, bool) else None


def _endpoint_token(value: str) -> str:
    return value.strip("/").split("/")[-1].replace("-", "_") if isinstance(value, str) else ""


def facts(listing: list, directory: dict | None) -> list[ModelFacts]:
    """One ModelFacts per model id, in listing order (directory-only models after)."""
    found: dict[str, ModelFacts] = {}
    for entry in listing:
        if isinstance(entry, dict) and isinstance(entry.get("id"), str) and entry["id"]:
            model = found.setdefault(entry["id"], ModelFacts(entry["id"]))
            model.endpoints.update(_endpoint_token(e) for e in entry.get("supported_endpoints") or [])
    for model_id, entry in (directory or {}).items():
        if not isinstance(model_id, str) or not model_id or not isinstance(entry, dict):
            continue
        model = found.setdefault(model_id, ModelFacts(model_id))
        model.from_directory = True
        model.names = " ".join(str(entry.get(k, "")) for k in ("display_name", "family"))
        for provider in entry.get("providers") or []:
            if not isinstance(provider, dict):
                continue
            model.endpoints.update(_endpoint_token(e) for e in provider.get("supported_endpoints") or [])
            for name, value in (provider.get("capabilities") or {}).items():
                if isinstance(value, bool):
                    model.capabilities[name] = model.capabilities.get(name, False) or value
    for model in found.values():
        model.endpoints.discard("")
    return list(found.values())


def pick(models: list[ModelFacts], given: dict[str, str]) -> dict[str, tuple[str, str]]:
    """role -> (model id, why)."""
    chosen: dict[str, tuple[str, str]] = {role: (mid, "given with --model") for role, mid in given.items()}

    def free(model: ModelFacts) -> bool:
        return model.id not in {mid for mid, _ in chosen.values()}

    def choose(role: str, candidates, why: str) -> None:
        if role in chosen:
            return
        for model in candidates:
            chosen[role] = (model.id, why)
            return

    down = [m for m in models if _DOWN_WORDS.search(m.id) or _DOWN_WORDS.search(m.names)]
    choose("unavailable", down, "its id or name says it is down (confirmed by a probe below)")
    usable = [m for m in models if m.id != chosen.get("unavailable", ("",))[0]]
    both = [m for m in usable if m.serves("responses") and m.serves("chat_completions")]
    plain = [m for m in both if not m.can("reasoning") and not _REASONING_IDS.search(m.id)]
    choose("text", [m for m in plain if m.can("tools") is not False] or plain or both or usable,
           "the first listed model serving both endpoints, not a reasoning model")
    choose("text_alt", [m for m in plain if free(m)], "another plain text model (for pool routing)")
    choose("text_only", [m for m in plain if m.can("vision") is False],
           "a text model whose directory entry says vision: false")
    choose("reasoning", [m for m in usable if m.can("reasoning")] or
           [m for m in usable if m.can("reasoning") is None and _REASONING_IDS.search(m.id)],
           "its directory entry (or id) says reasoning")
    choose("vision", [m for m in usable if m.can("vision") and _VISION_IDS.search(m.id + " " + m.names)] or
           [m for m in usable if m.can("vision") and not m.can("reasoning")],
           "its directory entry says vision (an id naming vision first)")
    choose("responses_only", [m for m in usable if m.endpoints == {"responses"}],
           "its supported_endpoints are responses alone")
    return {role: chosen[role] for role in ROLES if role in chosen} | \
        {role: value for role, value in chosen.items() if role not in ROLES}
