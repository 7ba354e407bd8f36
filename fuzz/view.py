"""The per-operation view of a vendor's wire document, which only the fuzz layer needs.

The served document describes the real wire (``contracts/openapi.py``): QuoParts's importCli and
importPvt are one POST on ``/ws_quoparts.php`` (told apart by a query flag, detailed in the
operation's ``x-operations`` note), credentials are ``securitySchemes``, and the query flags that
choose an operation (QuoParts ``login``, KeepIT ``cmd``) are required ``const`` parameters. The
suites and the harness fuzz one operation at a time, judge each answer by that operation's own
contracts, and let the vendor plug-in put the real credentials in. So this view:

- splits an operation with ``x-operations`` into one operation per entry, on a *virtual path*
  ``<real path>/<operationId>``, with that entry's request and response schemas;
- fixes the query that selects the operation (a required ``const`` query parameter, an entry's
  ``queryFlag``): it is never generated, and ``x-fuzz-real-request: {"path", "query"}`` tells
  ``fuzz.dispatch`` where the case really goes;
- turns the credentials back into ordinary parameters (their schema from the operation's
  query/header contract when it names them), so that the plug-in fills them and a negative case
  may break them;
- drops the examples, which are for people and tools reading the wire document.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from functools import cache
from typing import Any

import contracts

REAL = "x-fuzz-real-request"
_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_CONTRACT_OF = {"query": "query", "header": "headers"}


def build(document: dict[str, Any], vendor: str) -> dict[str, Any]:
    """The fuzz view of ``document`` (a wire document of ``vendor``; not modified)."""
    view = copy.deepcopy(document)
    schemes = view.get("components", {}).get("securitySchemes", {})
    default = view.pop("security", [])
    paths: dict[str, dict[str, Any]] = {}
    for path, item in document.get("paths", {}).items():
        for method in _METHODS:
            if not isinstance(item.get(method), dict):
                continue
            for virtual, operation in _split(path, item[method]):
                requirements = operation.pop("security", default)
                operation["parameters"] = _parameters(
                    vendor, operation, _credentials(requirements, schemes)
                )
                if not operation["parameters"]:
                    del operation["parameters"]
                paths.setdefault(virtual, {})[method] = _without_examples(operation)
    view["paths"] = paths
    return view


def _split(path: str, operation: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(path in the view, operation): one per ``x-operations`` entry, else the operation."""
    entries = operation.get("x-operations")
    if not entries:
        single = copy.deepcopy(operation)
        fixed = _fixed_query(single)
        if fixed:
            single[REAL] = {"path": path, "query": fixed}
        yield path, single
        return
    flags = {entry["queryFlag"] for entry in entries}
    for entry in entries:
        sub = {k: copy.deepcopy(v) for k, v in operation.items() if k != "x-operations"}
        sub["operationId"] = entry["operationId"]
        sub["summary"] = entry.get("summary", sub.get("summary", ""))
        sub.pop("description", None)
        sub["parameters"] = [p for p in sub.get("parameters", []) if p["name"] not in flags]
        for media in sub.get("requestBody", {}).get("content", {}).values():
            media["schema"] = copy.deepcopy(entry["request"])
        for status, answer in sub.get("responses", {}).items():
            for media in answer.get("content", {}).values():
                media["schema"] = copy.deepcopy(entry["responses"].get(status, media["schema"]))
        sub[REAL] = {"path": path, "query": {entry["queryFlag"]: "", **_fixed_query(sub)}}
        yield f"{path.rstrip('/')}/{entry['operationId']}", sub


def _fixed_query(operation: dict[str, Any]) -> dict[str, str]:
    """Take the required ``const`` query parameters out of ``operation``; their values."""
    fixed, kept = {}, []
    for param in operation.get("parameters", []):
        schema = param.get("schema", {})
        if param["in"] == "query" and param.get("required") and "const" in schema:
            fixed[param["name"]] = str(schema["const"])
        else:
            kept.append(param)
    if "parameters" in operation:
        operation["parameters"] = kept
    return fixed


def _credentials(
    requirements: list[dict[str, Any]], schemes: dict[str, Any]
) -> list[tuple[str, str, bool]]:
    """(name, location, required) of each parameter the security requirements carry; required
    when every alternative asks for it."""
    found: dict[tuple[str, str], int] = {}
    for requirement in requirements:
        for scheme_name in requirement:
            scheme = schemes.get(scheme_name, {})
            if scheme.get("type") == "apiKey":
                key = (scheme["name"], scheme["in"])
            elif scheme.get("type") == "http":
                key = ("Authorization", "header")
            else:
                continue
            found[key] = found.get(key, 0) + 1
    return [(name, where, count == len(requirements)) for (name, where), count in found.items()]


def _parameters(
    vendor: str, operation: dict[str, Any], credentials: list[tuple[str, str, bool]]
) -> list[dict[str, Any]]:
    """The operation's parameters plus its credentials, in the order of its contract files."""
    params = list(operation.get("parameters", []))
    known = {(p["name"], p["in"]) for p in params}
    for name, location, required in credentials:
        if (name, location) not in known:
            properties = _contract_properties(vendor, operation["operationId"], location)
            schema = copy.deepcopy(properties.get(name, {"type": "string"}))
            params.append({"name": name, "in": location, "required": required, "schema": schema})
    locations = list(dict.fromkeys(p["in"] for p in params))

    def order(param: dict[str, Any]) -> tuple[int, int]:
        names = list(_contract_properties(vendor, operation["operationId"], param["in"]))
        index = names.index(param["name"]) if param["name"] in names else len(names)
        return locations.index(param["in"]), index

    return sorted(params, key=order)


def _contract_properties(vendor: str, operation_id: str, location: str) -> dict[str, Any]:
    """The properties of ``<vendor>/<operationId>.query|headers``, if that contract exists."""
    suffix = _CONTRACT_OF.get(location)
    name = f"{vendor}/{operation_id}.{suffix}"
    if suffix is None or name not in _names(vendor):
        return {}
    return contracts.load_schema(name).get("properties", {})


@cache
def _names(vendor: str) -> frozenset[str]:
    return frozenset(contracts.schema_names(vendor))


def _without_examples(operation: dict[str, Any]) -> dict[str, Any]:
    for param in operation.get("parameters", []):
        param.pop("example", None)
    for media in operation.get("requestBody", {}).get("content", {}).values():
        media.pop("examples", None)
    for answer in operation.get("responses", {}).values():
        for media in answer.get("content", {}).values():
            media.pop("examples", None)
    return operation
