"""Small builders of the JSON Schemas the API publishes for its documents.

Role: the page specs (:mod:`routewatch.web.pages`), the table specs
(:mod:`routewatch.web.tables`) and the OpenAPI document (:mod:`routewatch.web.openapi`)
describe their responses with these helpers, so every document shares one envelope:
``page`` (or ``table``), ``as_of`` (``YYYY-MM`` or null) and ``methodology``. Pure.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["AS_OF", "ERROR", "STRING_MAP", "array", "document", "nullable", "obj",
           "string_list"]

Schema = dict[str, Any]

#: The month a document shows.
AS_OF: Schema = {"type": ["string", "null"], "pattern": "^[0-9]{4}-[0-9]{2}$"}
#: An object of string values (labels, links).
STRING_MAP: Schema = {"type": "object", "additionalProperties": {"type": "string"}}

#: The one error document (see :mod:`routewatch.web.params`).
ERROR: Schema = {
    "type": "object",
    "required": ["error"],
    "properties": {"error": {
        "type": "object",
        "required": ["status", "code", "message", "parameter"],
        "properties": {
            "status": {"type": "integer"},
            "code": {"type": "string", "examples": ["invalid-asn", "invalid-month",
                                                     "unknown-parameter", "not-found"]},
            "message": {"type": "string", "description": "what was expected"},
            "parameter": {"type": ["string", "null"]},
        },
    }},
}


def nullable(schema: Mapping[str, Any]) -> Schema:
    """``schema`` or null."""
    out = dict(schema)
    kind = out.get("type")
    if isinstance(kind, str):
        out["type"] = [kind, "null"]
    elif isinstance(kind, list):
        out["type"] = [*kind, "null"] if "null" not in kind else kind
    else:
        return {"anyOf": [out, {"type": "null"}]}
    return out


def obj(properties: Mapping[str, Any], required: bool = True) -> Schema:
    """An object with these properties (all required unless ``required`` is false)."""
    schema: Schema = {"type": "object", "properties": dict(properties)}
    if required:
        schema["required"] = list(properties)
    return schema


def array(items: Mapping[str, Any]) -> Schema:
    """An array of ``items``."""
    return {"type": "array", "items": dict(items)}


def string_list() -> Schema:
    """An array of strings."""
    return array({"type": "string"})


def document(page: str, properties: Mapping[str, Any]) -> Schema:
    """A page document: the envelope (``page``, ``as_of``, ``methodology``) and its fields."""
    return obj({"page": {"const": page}, "as_of": AS_OF, "methodology": {"type": "string"},
                **properties})
