"""respcheck: a pytest-based conformance suite for gateways serving the OpenAI-compatible Responses API."""

__version__ = "0.1.0"
