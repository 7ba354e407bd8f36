"""Each vendor's OpenAPI document as a Schemathesis schema, and the contract files per operation."""

from __future__ import annotations

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
    """The contract of the answer with this HTTP status: the schema file the document lists for
    that status (TS Digital's errors: ``error.response``), else ``<operation>.response``."""
    name = _response_names(vendor).get((operation, str(status)))
    return contracts.contract(name) if name else contract_for(vendor, operation, "response")


@cache
def _response_names(vendor: str) -> dict[tuple[str, str], str]:
    """(operationId, status) -> the contract file the document's response schema refers to."""
    by_component = {name.replace("/", "."): name for name in _names(vendor)}
    found = {}
    for item in document(vendor).get("paths", {}).values():
        for operation in item.values():
            if not isinstance(operation, dict) or "operationId" not in operation:
                continue
            for status, answer in operation.get("responses", {}).items():
                schema = answer.get("content", {}).get("application/json", {}).get("schema", {})
                component = schema.get("$ref", "").removeprefix("#/components/schemas/")
                if component in by_component:
                    found[(operation["operationId"], status)] = by_component[component]
    return found


@cache
def _names(vendor: str) -> frozenset[str]:
    return frozenset(contracts.schema_names(vendor))


MODES = {"positive": GenerationMode.POSITIVE, "negative": GenerationMode.NEGATIVE}
