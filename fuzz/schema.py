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
from contracts.messages import contract_for, response_contract
from fuzz import view

__all__ = ["contract_for", "response_contract"]  # what the checks and captures judge by


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


MODES = {"positive": GenerationMode.POSITIVE, "negative": GenerationMode.NEGATIVE}
