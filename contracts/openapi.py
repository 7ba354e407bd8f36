"""Bundle an OpenAPI 3.1 skeleton with its schema files into one self-contained document.

The skeleton (``contracts/<name>/openapi.json``: each vendor, and ``admin``) is a normal OpenAPI
document of the real wire, whose schemas are relative ``$ref``s to the contract files, plus
shorthands that keep every schema in its contract file:

- ``x-query-schema`` / ``x-header-schema``: a file (or a list of files, merged: a parameter is
  required only when every file requires it) whose properties become the operation's query or
  header parameters. A parameter that one of the operation's ``securitySchemes`` carries (an
  apiKey's name, ``Authorization`` for an http scheme) is left to the scheme: tools then send
  credentials the one way the document declares them.
- ``x-examples`` on a media type: JSON pointers into contract files (``"file.json#/examples/0"``)
  whose values become that media type's ``examples``. Without it, a request body gets every
  example of the files its schema names.

Bundling copies each referenced file once into ``components/schemas`` and rewrites refs to point
there, so the document works without the kit (``mockservers contracts export``).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from functools import cache
from typing import Any
from urllib.parse import urldefrag, urljoin

from contracts.loader import BASE_URI, CONTRACTS_DIR, load_schema

_PARAM_KEYS = {"x-query-schema": "query", "x-header-schema": "header"}
_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def _component_name(uri: str) -> str:
    return uri.removeprefix(BASE_URI).removesuffix(".json").replace("/", ".")


def _name_of(uri: str) -> str:
    """The contract name (``keepit/error.response``) of a file URI."""
    return uri.removeprefix(BASE_URI).removesuffix(".json")


def _pointer(document: Any, fragment: str) -> Any:
    node = document
    for part in fragment.lstrip("/").split("/") if fragment.strip("/") else ():
        part = part.replace("~1", "/").replace("~0", "~")
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node


class _Bundler:
    def __init__(self, base_uri: str) -> None:
        self.base_uri = base_uri
        self.components: dict[str, Any] = {}

    def ref(self, base_uri: str, ref: str) -> str:
        target, fragment = urldefrag(urljoin(base_uri, ref))
        name = _component_name(target)
        if name not in self.components:
            self.components[name] = None  # reserve: breaks cycles
            schema = copy.deepcopy(load_schema(_name_of(target)))
            schema.pop("$schema", None)
            self.components[name] = self.rewrite(schema, target)
        return f"#/components/schemas/{name}" + (f"{fragment}" if fragment else "")

    def rewrite(self, node: Any, base_uri: str) -> Any:
        if isinstance(node, dict):
            out = {}
            for key, value in node.items():
                if key == "$ref" and isinstance(value, str) and not value.startswith("#"):
                    out[key] = self.ref(base_uri, value)
                elif key == "$ref" and isinstance(value, str) and base_uri != self.base_uri:
                    out[key] = f"#/components/schemas/{_component_name(base_uri)}{value[1:]}"
                else:
                    out[key] = self.rewrite(value, base_uri)
            return out
        if isinstance(node, list):
            return [self.rewrite(item, base_uri) for item in node]
        return node

    def parameters(self, files: str | list[str], location: str) -> list[dict[str, Any]]:
        """The parameters the files' properties describe, in file order."""
        names = [files] if isinstance(files, str) else files
        schemas = [load_schema(_name_of(urljoin(self.base_uri, file))) for file in names]
        params: dict[str, dict[str, Any]] = {}
        for file, schema in zip(names, schemas, strict=True):
            target = urljoin(self.base_uri, file)
            for prop, prop_schema in schema.get("properties", {}).items():
                if prop in params:
                    continue
                param: dict[str, Any] = {
                    "name": prop,
                    "in": location,
                    "required": all(prop in s.get("required", ()) for s in schemas),
                    "schema": self.rewrite(copy.deepcopy(prop_schema), target),
                }
                if "description" in prop_schema:
                    param["description"] = prop_schema["description"]
                if location == "query" and prop_schema.get("x-empty-value"):
                    param["allowEmptyValue"] = True
                found = [e[prop] for e in schema.get("examples", ()) if prop in e]
                if found:
                    param["example"] = found[0]
                params[prop] = param
        return list(params.values())

    def example(self, pointer: str) -> Any:
        """The value a ``file.json#/examples/N`` pointer names."""
        file, _, fragment = pointer.partition("#")
        return _pointer(load_schema(_name_of(urljoin(self.base_uri, file))), fragment)


def _file_refs(schema: Any) -> Iterator[str]:
    """The files a media type's schema names: a ``$ref``, or the refs of its oneOf/anyOf."""
    if not isinstance(schema, dict):
        return
    if isinstance(schema.get("$ref"), str) and not schema["$ref"].startswith("#"):
        yield schema["$ref"]
    for key in ("oneOf", "anyOf"):
        for branch in schema.get(key, ()):
            yield from _file_refs(branch)


def _examples(media: dict[str, Any], bundler: _Bundler, default_all: bool) -> None:
    """Fill ``examples`` from ``x-examples`` (or, for a request body, from its files)."""
    pointers = media.pop("x-examples", None)
    if pointers is None and default_all:
        pointers = [
            f"{ref}#/examples/{index}"
            for ref in _file_refs(media.get("schema"))
            for index, _ in enumerate(bundler.example(f"{ref}#").get("examples", ()))
        ]
    if pointers:
        media["examples"] = {
            pointer.removesuffix(".json").replace(".json#/examples/", "-"): {
                "value": copy.deepcopy(bundler.example(pointer))
            }
            for pointer in pointers
        }


def _response_examples(responses: dict[str, Any], bundler: _Bundler) -> None:
    for answer in responses.values():
        for media in answer.get("content", {}).values():
            _examples(media, bundler, default_all=False)


def _credentials(
    requirements: list[dict[str, Any]], schemes: dict[str, Any]
) -> set[tuple[str, str]]:
    """(lower-cased name, location) of every parameter a security scheme of the operation
    carries."""
    carried = set()
    for requirement in requirements:
        for scheme_name in requirement:
            scheme = schemes.get(scheme_name, {})
            if scheme.get("type") == "apiKey":
                carried.add((scheme["name"].lower(), scheme["in"]))
            elif scheme.get("type") == "http":
                carried.add(("authorization", "header"))
    return carried


def _operations(skeleton: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for path_item in skeleton.get("paths", {}).values():
        for method in _METHODS:
            if isinstance(path_item.get(method), dict):
                yield path_item[method]


def _parameters(
    operation: dict[str, Any], bundler: _Bundler, carried: set[tuple[str, str]]
) -> None:
    """Replace the ``x-query-schema``/``x-header-schema`` shorthands, in place, by
    ``parameters`` (where the first shorthand was, so the document reads in order)."""
    params = list(operation.get("parameters", []))
    for key, location in _PARAM_KEYS.items():
        if key in operation:
            found = bundler.parameters(operation[key], location)
            params.extend(p for p in found if (p["name"].lower(), location) not in carried)
    rebuilt: dict[str, Any] = {}
    for key, value in operation.items():
        if key in _PARAM_KEYS or key == "parameters":
            if params and "parameters" not in rebuilt:
                rebuilt["parameters"] = params
        else:
            rebuilt[key] = value
    operation.clear()
    operation.update(rebuilt)


@cache
def _bundled(name: str) -> str:
    skeleton = json.loads((CONTRACTS_DIR / name / "openapi.json").read_text("utf-8"))
    bundler = _Bundler(f"{BASE_URI}{name}/openapi.json")
    schemes = skeleton.get("components", {}).get("securitySchemes", {})
    for operation in _operations(skeleton):
        carried = _credentials(operation.get("security", skeleton.get("security", [])), schemes)
        _parameters(operation, bundler, carried)
        for media in operation.get("requestBody", {}).get("content", {}).values():
            _examples(media, bundler, default_all=True)
        _response_examples(operation.get("responses", {}), bundler)
    _response_examples(skeleton.get("components", {}).get("responses", {}), bundler)
    document = bundler.rewrite(skeleton, bundler.base_uri)
    document.setdefault("components", {}).setdefault("schemas", {}).update(
        dict(sorted(bundler.components.items()))
    )
    return json.dumps(document, ensure_ascii=False)


def openapi(name: str) -> dict[str, Any]:
    """The OpenAPI 3.1 document of a vendor (or ``admin``), bundled from the contract files
    (a fresh copy)."""
    return json.loads(_bundled(name))


def openapi_bytes(name: str) -> bytes:
    """The same document pre-encoded, for serving without per-request work."""
    return _bundled(name).encode("utf-8")
