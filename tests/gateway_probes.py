"""Shared by the reference-gateway tests: reading a raw SSE body, and the probe-table machinery that
proves each fault switch breaks its own probe and no other."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import httpx
import pytest

from respcheck.reference import FAULTS, ReferenceServer
from respcheck.reference.faults import DROP_TEMPLATE

# The switch that closes a connection after an error answer breaks the one client every probe of a table
# shares; it has its own test (test_reference_gateway.py). The drop:<field> class is swept in
# test_silent_drops.py.
# A silence this long is a stall: seconds, not a fraction, so a loaded machine's pause is not one (the
# stall switch holds the stream until the client gives up, so only its probes wait this long).
STALL_READ_TIMEOUT = 3.0
CONNECTION_FAULTS = frozenset({"keepalive_closed_after_error"})
PROBED_FAULTS = tuple(sorted(set(FAULTS) - CONNECTION_FAULTS - {DROP_TEMPLATE}))
# The switch that answers every non-stream Response as JSON null leaves nothing for a feature or routing probe
# to read: its own probe is in test_reference_gateway.py, and tests/test_faults.py proves its rule.
BODY_FAULTS = frozenset({"response_body_null"})
BODY_READING_FAULTS = tuple(f for f in PROBED_FAULTS if f not in BODY_FAULTS)

# name -> (the probe's request(s), "is broken" predicate over what they got back)
Probes = Mapping[str, tuple[Any, Callable[[Any], bool]]]


def read_stream(http: httpx.Client, url: str, body: dict, *, headers: dict,
                read_timeout: float = STALL_READ_TIMEOUT) -> tuple[httpx.Response, bytes, str | None]:
    """POST `body` with stream: true and read the raw body until it ends, stalls or is cut.

    Returns the (closed) response, the bytes read, and "timeout" (stalled), "cut" (body not
    finished) or None."""
    raw, error = bytearray(), None
    with http.stream("POST", url, json={**body, "stream": True}, headers=headers,
                     timeout=httpx.Timeout(10, read=read_timeout)) as resp:
        try:
            for chunk in resp.iter_bytes():
                raw += chunk
        except httpx.ReadTimeout:
            error = "timeout"
        except httpx.RemoteProtocolError:
            error = "cut"
    return resp, bytes(raw), error


def memoized(answer: Callable[[dict], Any]) -> Callable[[dict], Any]:
    """`answer` that sends each distinct request (a JSON-able dict) only once."""
    answers: dict[str, Any] = {}

    def once(request: dict) -> Any:
        key = json.dumps(request, sort_keys=True)
        if key not in answers:
            answers[key] = answer(request)
        return answers[key]

    return once


def broken_probes(probes: Probes, answer: Callable[[str, Any], Any]) -> set[str]:
    """The names of the probes whose predicate holds for `answer(name, requests)` (the name is only
    for failure messages)."""
    broken = set()
    for name, (requests, is_broken) in probes.items():
        if is_broken(answer(name, requests)):
            broken.add(name)
    return broken


def probe_tests(probes: Probes, broken: Callable[[httpx.Client, ReferenceServer], set[str]],
                faults: Iterable[str] = PROBED_FAULTS) -> tuple[Callable, Callable]:
    """The two tests of a probe table, to be bound to test names in the calling module: the clean
    gateway breaks no probe, and each of `faults`, switched on alone, breaks only its own probe
    (none when the table has no probe for it)."""

    def clean_gateway_breaks_no_probe(http, server):
        found = broken(http, server)
        assert found == set(), f"broken probes: {sorted(found)}"

    @pytest.mark.parametrize("fault", sorted(faults))
    def fault_breaks_only_its_own_probe(http, fault):
        with ReferenceServer(faults=[fault]) as faulty:
            found, expected = broken(http, faulty), {fault} & probes.keys()
            assert found == expected, f"broken probes: {sorted(found)}, expected {sorted(expected)}"

    return clean_gateway_breaks_no_probe, fault_breaks_only_its_own_probe
