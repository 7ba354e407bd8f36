"""Each vendor's OpenAPI document as a Schemathesis schema, and the contract files per operation."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import schemathesis
from schemathesis import APIOperation, GenerationMode
from schemathesis.specs.openapi.schemas import OpenApiSchema

import contracts


@cache
def load(vendor: str) -> OpenApiSchema:
    """The vendor's bundled OpenAPI document (``contracts.openapi``) loaded by Schemathesis."""
    return schemathesis.openapi.from_dict(contracts.openapi(vendor))


@cache
def document(vendor: str) -> dict[str, Any]:
    return contracts.openapi(vendor)


def vendor_of(schema: Any) -> str:
    """The vendor a loaded schema belongs to: its server URL is ``/<vendor>``."""
    return schema.raw_schema["servers"][0]["url"].strip("/")


def operation_id(operation: APIOperation) -> str:
    return operation.definition.raw["operationId"]


def api_operations(vendor: str) -> dict[str, APIOperation]:
    """operationId -> operation, in document order."""
    found = {}
    for result in load(vendor).get_all_operations():
        operation = result.ok()
        found[operation_id(operation)] = operation
    return found


def contract_for(vendor: str, operation: str, message: str) -> contracts.Contract | None:
    """The contract ``<vendor>/<operation>.<message>`` (request, response, query...), if any."""
    name = f"{vendor}/{operation}.{message}"
    return contracts.contract(name) if name in _names(vendor) else None


def response_contract(vendor: str, operation: str, status: int) -> contracts.Contract | None:
    """The contract the vendor's document lists for ``status`` (its ``application/json`` schema
    file, e.g. KeepIT's 401 ``error.response.json``); ``<operation>.response`` for a status the
    document does not list or lists without a schema file of its own."""
    listed = _response_files(vendor).get((operation, str(status)))
    if listed is not None and listed in _names(vendor):
        return contracts.contract(listed)
    return contract_for(vendor, operation, "response")


@cache
def _response_files(vendor: str) -> dict[tuple[str, str], str]:
    """(operationId, status) -> the contract name its response ``$ref`` names, from the skeleton
    (``contracts/<vendor>/openapi.json``, where refs are still file names)."""
    path = contracts.CONTRACTS_DIR / vendor / "openapi.json"
    skeleton = json.loads(path.read_text()) if path.exists() else {}
    files = {}
    for item in skeleton.get("paths", {}).values():
        for operation in item.values():
            if not isinstance(operation, dict) or "operationId" not in operation:
                continue
            for status, answer in operation.get("responses", {}).items():
                ref = answer.get("content", {}).get("application/json", {}).get("schema", {})
                ref = ref.get("$ref", "")
                if ref and not ref.startswith("#"):
                    name = f"{vendor}/{ref.removeprefix('./').removesuffix('.json')}"
                    files[(operation["operationId"], status)] = name
    return files


@cache
def _names(vendor: str) -> frozenset[str]:
    return frozenset(contracts.schema_names(vendor))


MODES = {"positive": GenerationMode.POSITIVE, "negative": GenerationMode.NEGATIVE}
