"""Each vendor's OpenAPI document as a Schemathesis schema, and the contract files per operation.

What Schemathesis loads here is the fuzz view (``fuzz.view``) of the served wire document: one
operation per QuoParts method, credentials as parameters, the selecting query fixed.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import schemathesis
from schemathesis import APIOperation, GenerationMode
from schemathesis.specs.openapi.schemas import OpenApiSchema

import contracts
from fuzz import view


@cache
def load(vendor: str) -> OpenApiSchema:
    """The fuzz view of the vendor's OpenAPI document, loaded by Schemathesis."""
    return schemathesis.openapi.from_dict(document(vendor))


@cache
def _document(vendor: str) -> dict[str, Any]:
    return view.build(contracts.openapi(vendor), vendor)


def document(vendor: str) -> dict[str, Any]:
    """The fuzz view of the vendor's wire document (shared: do not mutate)."""
    return _document(vendor)


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
    """The contract the vendor's document gives ``status`` (its ``application/json`` schema,
    e.g. KeepIT's 401 ``error.response``); ``<operation>.response`` for a status the document
    does not list or lists without a contract of its own."""
    listed = _response_contracts(vendor).get((operation, str(status)))
    if listed is not None:
        return contracts.contract(listed)
    return contract_for(vendor, operation, "response")


@cache
def _response_contracts(vendor: str) -> dict[tuple[str, str], str]:
    """(operationId, status) -> the contract its response schema is, when it is one file."""
    by_component = {f"#/components/schemas/{n.replace('/', '.')}": n for n in _names(vendor)}
    files = {}
    for item in document(vendor)["paths"].values():
        for operation in item.values():
            for status, answer in operation.get("responses", {}).items():
                schema = answer.get("content", {}).get("application/json", {}).get("schema", {})
                name = by_component.get(schema.get("$ref", ""))
                if name is not None:
                    files[(operation["operationId"], status)] = name
    return files


@cache
def _names(vendor: str) -> frozenset[str]:
    return frozenset(contracts.schema_names(vendor))


MODES = {"positive": GenerationMode.POSITIVE, "negative": GenerationMode.NEGATIVE}
