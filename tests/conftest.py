"""Shared helpers for the project's own tests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

# The suite runs of these tests judge no real client unless a test asks for it (`--clients ...`,
# tests/test_clients.py and tests/test_client_node.py do): verdicts never change an outcome, and the
# SDKs' start would cost each of the several hundred runs a second. The README recipes unset it.
os.environ.setdefault("RESPCHECK_CLIENTS", "none")

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def repo() -> Path:
    return REPO


@pytest.fixture(scope="module")
def server():
    """A clean reference gateway for the module's tests (key: DEFAULT_API_KEY)."""
    from respcheck.reference import ReferenceServer

    with ReferenceServer() as running:
        yield running


@pytest.fixture(scope="module")
def http():
    import httpx

    with httpx.Client(timeout=10, trust_env=False) as client:
        yield client


def pytest_configure(config):
    """pytester's in-process runs drop the modules they imported when they
    end; an exception class imported lazily inside one run then no longer
    matches the one httpx catches in the next. Doing one failed and one
    successful request here loads every such module for the whole session."""
    import socket

    import httpx

    from respcheck.reference import ReferenceServer

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]
    with httpx.Client(trust_env=False, timeout=2) as client:
        try:
            client.get(f"http://127.0.0.1:{closed}/")
        except httpx.HTTPError:
            pass
        server = ReferenceServer()
        server.start()
        try:
            client.get(server.base_url + "/models")
        finally:
            server.stop()
