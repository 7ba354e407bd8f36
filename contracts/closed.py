"""The closed view of a contract: its objects admit no field beside those they list.

A fake may answer a body of documented fields only by a faster road (QuoParts's importCli: one
walk for both the contract and the depth limit, ``mockservers/quoparts/plain.py``); the closed
view tells such a body apart, built from the contract files themselves: a relative ``$ref`` to
another contract file is written in place (closed too), every object that lists its
``properties`` gets ``additionalProperties: false``.
"""

from __future__ import annotations

import posixpath
from typing import Any

import jsonschema_rs

from contracts.loader import load_schema


def closed_schema(name: str) -> dict[str, Any]:
    """Contract ``name`` (``quoparts/importCli.request``) closed, its file references in place."""
    return _closed(load_schema(name), posixpath.dirname(name))


def closed_validator(name: str) -> jsonschema_rs.Validator:
    """The compiled closed view of contract ``name``, formats checked as the contract checks them
    (compile once, at import): it admits nothing the contract refuses."""
    return jsonschema_rs.validator_for(closed_schema(name), validate_formats=True)


def _closed(schema: Any, folder: str) -> Any:
    if isinstance(schema, list):
        return [_closed(item, folder) for item in schema]
    if not isinstance(schema, dict):
        return schema
    reference = schema.get("$ref")
    if isinstance(reference, str) and reference.endswith(".json") and "#" not in reference:
        name = posixpath.normpath(posixpath.join(folder, reference[: -len(".json")]))
        referred = {k: v for k, v in load_schema(name).items() if k != "$schema"}
        return _closed(referred, posixpath.dirname(name))
    closed = {
        key: _closed(value, folder) if key not in ("examples", "const", "enum") else value
        for key, value in schema.items()
    }
    if "properties" in schema and "additionalProperties" not in schema:
        closed["additionalProperties"] = False
    return closed
