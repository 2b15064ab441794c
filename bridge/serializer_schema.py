"""A DRF serializer as JSON Schema, and how it compares with a documented schema.

Walks ``serializer.fields`` (what the bridge really validates with), so a field added,
renamed or narrowed in code shows up as a difference with the AsyncAPI document.
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers
from rest_framework.fields import empty

# The JSON Schema keywords a field of a validating serializer is held to; a rendering
# serializer enforces no bounds, so only its shape is compared (the document may promise more).
COMPARED = ("type", "format", "enum", "default", "minLength", "maxLength", "minimum", "maximum", "items")
SHAPE = ("type", "format", "enum", "items")


def serializer_schema(
    serializer_class: type[serializers.Serializer], *, direction: str, optional: tuple[str, ...] | list[str] = ()
) -> dict[str, Any]:
    """The JSON Schema of what a serializer accepts (``request``) or renders (``response``).

    Requests: writable fields, required as the serializer says unless the bridge fills them
    in (``optional``). Responses: readable fields, all of them always present.
    """
    if direction not in ("request", "response"):
        raise ValueError(f"direction must be request or response, not {direction!r}")
    properties: dict[str, Any] = {}
    required: list[str] = []
    for name, field in serializer_class().fields.items():
        if field.read_only if direction == "request" else field.write_only:
            continue
        properties[name] = field_schema(field)
        if direction == "response" or (field.required and name not in optional):
            required.append(name)
    return {"type": "object", "properties": properties, "required": required}


def field_schema(field: serializers.Field) -> dict[str, Any]:
    """The JSON Schema of one serializer field, as far as the wire can tell."""
    if isinstance(field, serializers.ChoiceField):
        schema: dict[str, Any] = {"type": "string", "enum": [str(choice) for choice in field.choices]}
    elif isinstance(field, serializers.BooleanField):
        schema = {"type": "boolean"}
    elif isinstance(field, serializers.IntegerField):
        schema = {"type": "integer", **_bounds(field, minimum="min_value", maximum="max_value")}
    elif isinstance(field, serializers.UUIDField):
        schema = {"type": "string", "format": "uuid"}
    elif isinstance(field, serializers.DateTimeField):
        schema = {"type": "string", "format": "date-time"}
    elif isinstance(field, serializers.CharField):
        schema = {"type": "string", **_bounds(field, minLength="min_length", maxLength="max_length")}
    elif isinstance(field, serializers.ListField):
        schema = {"type": "array", "items": field_schema(field.child)}
    else:
        raise TypeError(f"no JSON Schema mapping for {type(field).__name__} {field.field_name!r}")
    if field.allow_null:
        schema["type"] = [schema["type"], "null"]
        if "enum" in schema:  # an enum holds every allowed value: without null, null would be refused
            schema["enum"].append(None)
    if field.default is not empty and not callable(field.default):
        schema["default"] = field.default
    return schema


def schema_differences(
    expected: dict[str, Any], documented: dict[str, Any], where: str, *, keywords: tuple[str, ...] = COMPARED
) -> list[str]:
    """Field by field: names, required, and each of ``keywords``."""
    problems = []
    documented_properties = documented.get("properties", {})
    for name in sorted(set(expected["properties"]) - set(documented_properties)):
        problems.append(f"{where}: field {name!r} is missing from the document")
    for name in sorted(set(documented_properties) - set(expected["properties"])):
        problems.append(f"{where}: field {name!r} is documented but the serializer has no such field")
    if sorted(expected["required"]) != sorted(documented.get("required", [])):
        have, want = sorted(documented.get("required", [])), sorted(expected["required"])
        problems.append(f"{where}: required is {have}, the serializer says {want}")
    for name in sorted(set(expected["properties"]) & set(documented_properties)):
        want, have = _comparable(expected["properties"][name]), _comparable(documented_properties[name])
        for keyword in keywords:
            if want.get(keyword) != have.get(keyword):
                problems.append(
                    f"{where}: field {name!r} {keyword} is {have.get(keyword)!r}, "
                    f"the serializer says {want.get(keyword)!r}"
                )
    return problems


def acceptance_problems(parser: dict[str, Any], documented: dict[str, Any], where: str) -> list[str]:
    """Where a consumer's parser would refuse a value the document allows (it may ignore fields)."""
    problems = []
    properties = documented.get("properties", {})
    for name in parser["required"]:
        if name not in documented.get("required", []):
            problems.append(f"{where}: the parser requires {name!r}, which the document does not promise")
    for name, wanted in parser["properties"].items():
        if name not in properties:
            problems.append(f"{where}: the parser reads {name!r}, which the document does not have")
            continue
        want, have = _comparable(wanted), _comparable(properties[name])
        if want.get("type") != have.get("type"):
            problems.append(f"{where}: field {name!r} is {have.get('type')!r}, the parser takes {want.get('type')!r}")
        for keyword, narrower in (("minimum", max), ("minLength", max), ("maximum", min), ("maxLength", min)):
            if keyword in want and (keyword not in have or narrower(want[keyword], have[keyword]) != have[keyword]):
                problems.append(
                    f"{where}: field {name!r} {keyword} is {have.get(keyword)!r}, "
                    f"the parser insists on {want[keyword]!r}"
                )
        if "enum" in want and not set(have.get("enum", [None])) <= set(want["enum"]):
            problems.append(f"{where}: field {name!r} may be {have.get('enum')!r}, the parser takes {want['enum']!r}")
    return problems


def _comparable(schema: dict[str, Any]) -> dict[str, Any]:
    """Order-free forms of ``type`` and ``enum``, so ``[string, null]`` equals ``[null, string]``."""
    result = {keyword: schema[keyword] for keyword in COMPARED if keyword in schema}
    if isinstance(result.get("type"), list):
        result["type"] = sorted(result["type"])
    if "enum" in result:
        result["enum"] = sorted(map(str, result["enum"]))
    if "items" in result:
        result["items"] = _comparable(result["items"])
    return result


def _bounds(field: serializers.Field, **attributes: str) -> dict[str, Any]:
    values = {keyword: getattr(field, attribute, None) for keyword, attribute in attributes.items()}
    return {keyword: value for keyword, value in values.items() if value is not None}
