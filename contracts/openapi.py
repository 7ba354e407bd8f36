"""Bundle a vendor's OpenAPI 3.1 skeleton with its schema files into one document.

The skeleton (``contracts/<vendor>/openapi.json``) is a normal OpenAPI document whose schemas are
relative ``$ref``s to the contract files, plus two shorthands:
``x-query-schema`` / ``x-header-schema`` name an object schema whose properties become the
operation's query or header parameters. Bundling copies each referenced file once into
``components/schemas`` and rewrites refs to point there.

QuoParts and KeepIT choose the operation with a query parameter, which OpenAPI cannot key on.
Their skeletons list each operation on a *virtual path* (``/ws_quoparts.php/importCli``) and
carry ``x-real-request: {"path", "query"}``; ``fuzz.dispatch`` maps a generated case back to the
real URL. See docs/fuzzing.md, "Query-dispatched operations in OpenAPI".
"""

from __future__ import annotations

import copy
import json
from functools import cache
from typing import Any
from urllib.parse import urldefrag, urljoin

from contracts.loader import BASE_URI, CONTRACTS_DIR, load_schema, uri_for

_PARAM_KEYS = {"x-query-schema": "query", "x-header-schema": "header"}


def _component_name(uri: str) -> str:
    return uri.removeprefix(BASE_URI).removesuffix(".json").replace("/", ".")


class _Bundler:
    def __init__(self) -> None:
        self.components: dict[str, Any] = {}

    def ref(self, base_uri: str, ref: str) -> str:
        target, fragment = urldefrag(urljoin(base_uri, ref))
        name = _component_name(target)
        if name not in self.components:
            self.components[name] = None  # reserve: breaks cycles
            schema = copy.deepcopy(load_schema(target.removeprefix(BASE_URI).removesuffix(".json")))
            schema.pop("$schema", None)
            self.components[name] = self.rewrite(schema, target)
        return f"#/components/schemas/{name}" + (f"{fragment}" if fragment else "")

    def rewrite(self, node: Any, base_uri: str) -> Any:
        if isinstance(node, dict):
            out = {}
            for key, value in node.items():
                if key == "$ref" and isinstance(value, str) and not value.startswith("#"):
                    out[key] = self.ref(base_uri, value)
                elif key == "$ref" and isinstance(value, str):
                    out[key] = f"#/components/schemas/{_component_name(base_uri)}{value[1:]}"
                else:
                    out[key] = self.rewrite(value, base_uri)
            return out
        if isinstance(node, list):
            return [self.rewrite(item, base_uri) for item in node]
        return node

    def parameters(self, base_uri: str, file_ref: str, location: str) -> list[dict[str, Any]]:
        name = urljoin(base_uri, file_ref).removeprefix(BASE_URI).removesuffix(".json")
        schema = load_schema(name)
        target = uri_for(name)
        required = set(schema.get("required", ()))
        params = []
        for prop, prop_schema in schema.get("properties", {}).items():
            param: dict[str, Any] = {
                "name": prop,
                "in": location,
                "required": prop in required,
                "schema": self.rewrite(copy.deepcopy(prop_schema), target),
            }
            if "description" in prop_schema:
                param["description"] = prop_schema["description"]
            if location == "query" and prop_schema.get("x-empty-value"):
                param["allowEmptyValue"] = True
            params.append(param)
        return params


@cache
def _bundled(vendor: str) -> str:
    skeleton = json.loads((CONTRACTS_DIR / vendor / "openapi.json").read_text("utf-8"))
    base = f"{BASE_URI}{vendor}/openapi.json"
    bundler = _Bundler()
    for path_item in skeleton.get("paths", {}).values():
        for operation in path_item.values():
            if not isinstance(operation, dict):
                continue
            params = operation.setdefault("parameters", [])
            # The dispatch parameter is fixed by x-real-request, never fuzzed.
            dispatch = set(operation.get("x-real-request", {}).get("query", {}))
            for key, location in _PARAM_KEYS.items():
                if key in operation:
                    found = bundler.parameters(base, operation.pop(key), location)
                    params.extend(p for p in found if p["name"] not in dispatch)
            if not params:
                del operation["parameters"]
    document = bundler.rewrite(skeleton, base)
    document.setdefault("components", {}).setdefault("schemas", {}).update(
        dict(sorted(bundler.components.items()))
    )
    return json.dumps(document, ensure_ascii=False)


def openapi(vendor: str) -> dict[str, Any]:
    """The vendor's OpenAPI 3.1 document, bundled from the contract files (a fresh copy)."""
    return json.loads(_bundled(vendor))


def openapi_bytes(vendor: str) -> bytes:
    """The same document pre-encoded, for serving without per-request work."""
    return _bundled(vendor).encode("utf-8")
