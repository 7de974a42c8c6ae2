"""Layered YAML values: one mapping written over another, remembering who
wrote what.

Used for a profile over the profiles it `extends:` and for a profile's
`cases.<id>` override over a case's expectations. The rules are the same in
both: mappings merge key by key (recursively), any other value (a list, a
string, a number) replaces what is below it, and `null` over an existing key
removes it. `null` where nothing is below stays a value: an older profile's
`request_id_header: null` means what it always meant.
"""

from __future__ import annotations

from typing import Any, Callable

Origin = Any  # whatever a caller records per path: (file, line), "file:line", or None


def overlay(base: Any, over: Any, sources: dict[tuple, Origin], origin_of: Callable[[tuple], Origin],
            prefix: tuple = ()) -> Any:
    """`over` written over `base`; `sources` (path -> origin, for `base`'s
    values on entry) is updated so that each path of the result names the
    layer that wrote it. `origin_of(path)` is where `over` wrote `path`."""
    if not (isinstance(base, dict) and isinstance(over, dict)):
        _forget(sources, prefix)
        _record(over, sources, origin_of, prefix)
        return over
    result = dict(base)
    # A mapping both layers write is the upper one's: a matcher ({gte: 1, lte: 9})
    # is judged as a unit, and the upper layer changed it. Keys only the lower
    # layer wrote keep their own origin below.
    sources[prefix] = origin_of(prefix)
    for key, value in over.items():
        path = prefix + (key,)
        if value is None and key in base:
            del result[key]
            _forget(sources, path)
        elif key in base:
            result[key] = overlay(base[key], value, sources, origin_of, path)
        else:
            result[key] = value
            _record(value, sources, origin_of, path)
    return result


def paths_of(value: Any, prefix: tuple = ()):
    """Every path in a nested value (mappings and lists), the value's own first."""
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from paths_of(item, prefix + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from paths_of(item, prefix + (index,))


def _record(value: Any, sources: dict, origin_of: Callable[[tuple], Origin], prefix: tuple) -> None:
    for path in paths_of(value, prefix):
        sources[path] = origin_of(path)


def _forget(sources: dict, prefix: tuple) -> None:
    n = len(prefix)
    for path in [p for p in sources if p[:n] == prefix]:
        del sources[path]
