"""A profile held against the case files: every capability it names must be
one some case requires, every model role one some case uses, every `cases:`
entry must name a case (and each step override a step of it), every known
deviation a rule a failure can name. A typo (`responses.streamingg`) would
otherwise skip cases silently and exit 0; each error names the file and line
that wrote the value (a parent profile's, for an inherited one)."""

from __future__ import annotations

from fnmatch import fnmatchcase

from .catalogue import Catalogue
from .profile import Profile, ProfileError
from .schema_hints import did_you_mean


def known_rules() -> frozenset[str]:
    """Every rule a failure can name (what `respcheck rules` lists)."""
    from ..checks import RULES
    from ..stream import RULES as STREAM_RULES

    return frozenset(RULES) | frozenset(STREAM_RULES) | {"models.endpoints", "models.capabilities"}


def check_profile(profile: Profile, catalogue: Catalogue) -> list[ProfileError]:
    """One error per name the case files do not know, each with file:line."""
    problems = _rule_problems(profile)
    if catalogue.files == 0:
        return problems  # nothing to hold the rest against (cases elsewhere)
    known_caps = catalogue.capabilities
    for cap in profile.capabilities:
        if cap not in known_caps:
            hint = did_you_mean(cap, known_caps) or " (see `respcheck lint`; the case files' `requires` list them)"
            problems.append(profile.error_at(("capabilities", cap), f"capability {cap!r} is required by no case{hint}"))
    for role in profile.models:
        if role not in catalogue.roles:
            problems.append(profile.error_at(("models", role), f"models: no case uses the model role {role!r}"
                                                                f"{did_you_mean(role, catalogue.roles)}"))
    for case_id, override in profile.cases.items():
        if case_id not in catalogue.case_ids:
            problems.append(profile.error_at(("cases", case_id), f"cases: no case has the id {case_id!r}"
                                                                 f"{did_you_mean(case_id, catalogue.case_ids)}"))
        elif case_id in catalogue.steps:
            problems += _step_problems(profile, case_id, override, catalogue.steps[case_id])
    for rule, deviation in profile.known_deviations.items():
        for index, pattern in enumerate(deviation.get("cases") or ()):
            if not any(fnmatchcase(name, pattern) for name in catalogue.names | catalogue.case_ids):
                problems.append(profile.error_at(
                    ("known_deviations", rule, "cases", index),
                    f"known_deviations.{rule}.cases: {pattern!r} matches no case"
                    f"{did_you_mean(pattern, catalogue.case_ids)}"))
    return problems


def _rule_problems(profile: Profile) -> list[ProfileError]:
    rules = known_rules()
    return [profile.error_at(("known_deviations", rule),
                             f"known_deviations: no check has the rule {rule!r}"
                             f"{did_you_mean(rule, rules) or ' (see `respcheck rules`)'}")
            for rule in profile.known_deviations if rule not in rules]


def _step_problems(profile: Profile, case_id: str, override: dict, steps: tuple[str, ...] | None) -> list:
    """An override must reach what the case has: `expect` for one request,
    `steps.<name>.expect` for steps (else it would be silently ignored)."""
    where = ("cases", case_id)
    if steps is None:
        if "steps" in override:
            return [profile.error_at(where + ("steps",), f"cases.{case_id}.steps: case {case_id!r} is one request "
                                                         f"without steps; override it under cases.{case_id}.expect")]
        return []
    problems = []
    if "expect" in override:
        problems.append(profile.error_at(where + ("expect",), f"cases.{case_id}.expect: case {case_id!r} has steps "
                                                              f"({', '.join(steps)}); override one under "
                                                              f"cases.{case_id}.steps.<step name>.expect"))
    for name in override.get("steps") or {}:
        if name not in steps:
            hint = did_you_mean(name, steps) or f" (its steps: {', '.join(steps)})"
            problems.append(profile.error_at(where + ("steps", name),
                                             f"cases.{case_id}.steps: case {case_id!r} has no step {name!r}{hint}"))
    return problems
