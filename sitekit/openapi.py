"""The error answers every site's API gives, written into its OpenAPI schema.

drf-spectacular documents only the success of each operation, but clients (and the
schema-driven fuzz test, ``tests/test_api_fuzz.py``) also meet DRF's and our middleware's
errors. This post-processing hook adds them where they can happen, with their bodies:

- 400 ``{"field": ["message"]}`` or ``{"detail": "..."}``: a body, query string or page number that fails
  validation, or a body that is not JSON;
- 401 without credentials, 403 for a write without the model permission (or a session's CSRF
  token), 404 for an unknown id or page number;
- 413 for a body over ``DJANGO_MAX_BODY_BYTES`` and 415 for one in a media type no parser
  reads; 503 ``{"error": {...}}`` while the database is unreachable (``sitekit.middleware``).
"""

from __future__ import annotations

from typing import Any

PAGE_PARAMETER = "page"
UNSAFE_METHODS = {"post", "put", "patch", "delete"}

COMPONENTS: dict[str, dict[str, Any]] = {
    "ErrorDetail": {
        "type": "object",
        "description": "An error DRF explains in one sentence.",
        "properties": {"detail": {"type": "string"}},
        "required": ["detail"],
    },
    "FieldErrors": {
        "type": "object",
        "description": "Validation errors by field name (``non_field_errors`` for the body as a whole).",
        "additionalProperties": {"type": "array", "items": {"type": "string"}},
    },
    "ServiceError": {
        "type": "object",
        "description": "An error answered before the view runs (body too large, database unreachable).",
        "properties": {
            "error": {
                "type": "object",
                "properties": {"status": {"type": "integer"}, "message": {"type": "string"}},
                "required": ["status", "message"],
            }
        },
        "required": ["error"],
    },
}


def _response(description: str, *components: str) -> dict[str, Any]:
    refs = [{"$ref": f"#/components/schemas/{name}"} for name in components]
    schema = refs[0] if len(refs) == 1 else {"anyOf": refs}
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def error_responses(method: str, operation: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The error responses ``operation`` (an OpenAPI operation object) can give, by status code."""
    parameters = operation.get("parameters", [])
    has_body = "requestBody" in operation
    filters = [p for p in parameters if p["in"] == "query"]  # page numbers too: 400 when malformed
    responses = {}
    if has_body or filters:
        responses["400"] = _response("Invalid input", "FieldErrors", "ErrorDetail")
    responses["401"] = _response("Not signed in", "ErrorDetail")
    if method in UNSAFE_METHODS:
        responses["403"] = _response("Not allowed", "ErrorDetail")
    if any(p["in"] == "path" or p["name"] == PAGE_PARAMETER for p in parameters):
        responses["404"] = _response("No such object, or no such page", "ErrorDetail")
    if has_body:
        responses["413"] = _response("Request body too large", "ServiceError")
        responses["415"] = _response("Unsupported media type", "ErrorDetail")
    responses["503"] = _response("Database unavailable; try again (see Retry-After)", "ServiceError")
    return responses


def document_error_responses(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """drf-spectacular post-processing hook: add ``error_responses`` to every operation."""
    result.setdefault("components", {}).setdefault("schemas", {}).update(COMPONENTS)
    for path in result.get("paths", {}).values():
        for method, operation in path.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            for status, response in error_responses(method, operation).items():
                operation["responses"].setdefault(status, response)
    return result


# DRF's CharField refuses a NUL character (PostgreSQL cannot store one); the schema says so.
NO_NUL = "^[^\\u0000]*$"
# It also trims whitespace (``str.strip``: what ``str.isspace`` calls space) before a field
# that may not be blank checks for blank, so such a field needs one character besides those.
_SPACE = "\\t\\n\\u000b\\f\\r\\u001c-\\u001f \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000"
NOT_BLANK = f"^[^\\u0000]*[^\\u0000{_SPACE}][^\\u0000]*$"


def document_refused_characters(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """drf-spectacular post-processing hook: request text fields exclude NUL, and blanks where refused."""
    for name, schema in result.get("components", {}).get("schemas", {}).items():
        if not name.endswith("Request"):
            continue
        for field in schema.get("properties", {}).values():
            if field.get("type") == "string" and not {"format", "enum", "pattern"} & set(field):
                field["pattern"] = NOT_BLANK if field.get("minLength", 0) >= 1 else NO_NUL
    return result
