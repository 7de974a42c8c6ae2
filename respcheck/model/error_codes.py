"""The canonical error codes and types the suite knows: one list, used by
case templates (`{{errors.model_not_found}}`, which a profile may map to its
target's own spelling) and by coverage accounting (which of them a run saw)."""

from __future__ import annotations

KNOWN_TYPES = ("invalid_request_error", "authentication_error", "permission_error", "not_found_error",
               "rate_limit_error", "api_error")
KNOWN_CODES = (
    "invalid_request", "missing_required_parameter", "invalid_parameter_value", "unknown_field",
    "invalid_api_key", "model_not_found", "operation_not_allowed", "response_api_only", "payload_too_large",
    "rate_limit_exceeded", "no_provider_available", "upstream_error", "upstream_timeout",
    "tools_not_supported", "structured_output_not_supported", "json_mode_not_supported",
    "vision_not_supported", "reasoning_not_supported", "streaming_not_supported",
    "previous_response_not_found")
