"""A profile held against the case files: every capability it names must be
one some case requires, every model role one some case uses, every `cases:`
entry must name a case. A typo
(`responses.streamingg`) would otherwise skip cases silently and exit 0."""

from __future__ import annotations

from .catalogue import Catalogue
from .profile import Profile, ProfileError
from .schema_hints import did_you_mean


def check_profile(profile: Profile, catalogue: Catalogue) -> list[ProfileError]:
    """One error per name the case files do not know, each with file:line."""
    if catalogue.files == 0:
        return []  # nothing to hold the profile against (cases elsewhere)
    problems = []
    known_caps = catalogue.capabilities
    for cap in profile.capabilities:
        if cap not in known_caps:
            hint = did_you_mean(cap, known_caps) or " (see `respcheck lint`; the case files' `requires` list them)"
            problems.append(ProfileError(f"capability {cap!r} is required by no case{hint}",
                                         profile.file, profile.line_of(("capabilities", cap))))
    for role in profile.models:
        if role not in catalogue.roles:
            problems.append(ProfileError(f"models: no case uses the model role {role!r}"
                                         f"{did_you_mean(role, catalogue.roles)}",
                                         profile.file, profile.line_of(("models", role))))
    for case_id in profile.cases:
        if case_id not in catalogue.case_ids:
            problems.append(ProfileError(f"cases: no case has the id {case_id!r}"
                                         f"{did_you_mean(case_id, catalogue.case_ids)}",
                                         profile.file, profile.line_of(("cases", case_id))))
    return problems
