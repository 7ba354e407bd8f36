"""QuoParts request handling: read the call, check it against the contract, call the model,
render the envelope. Every documented answer is HTTP 200."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from starlette.responses import Response

from contracts import Violation, contract
from mockservers.core.http import JSONResponse
from mockservers.core.vendor import Call
from mockservers.quoparts.errors import bad_request
from mockservers.quoparts.models import QuoPartsModel

_LOGIN_QUERY = contract("quoparts/login.query")
_IMPORT_CLI = contract("quoparts/importCli.request")
_IMPORT_PVT = contract("quoparts/importPvt.request")


def ok(data: list[Any]) -> Response:
    return JSONResponse({"errorCode": "0", "error": "", "data": data})


def describe(violation: Violation, where: str = "body") -> str:
    """``data.testata: 'COD_TGA' is a required property`` — names where and what."""
    return f"{violation.pointer or where}: {violation.message}"


def login(model: QuoPartsModel, call: Call) -> Response:
    query = {k: call.query[k] for k in ("login", "username", "password") if k in call.query}
    violations = _LOGIN_QUERY.violations(query) if not _LOGIN_QUERY.is_valid(query) else []
    if violations:
        raise bad_request(describe(violations[0], where="query"))
    return ok([{"TOKEN": model.login(query["username"], query["password"])}])


def import_customers(model: QuoPartsModel, call: Call) -> Response:
    tenant = model.tenant_for(call.query.get("token"))
    body = call.json()
    if not isinstance(body, dict):
        raise bad_request("il body deve essere un oggetto JSON")
    rows = body.get("data")
    if not isinstance(rows, list):
        raise bad_request("data deve essere un array di clienti")
    bad_rows: dict[int, list[Violation]] = defaultdict(list)
    if not _IMPORT_CLI.is_valid(body):
        for violation in _IMPORT_CLI.violations(body):
            bad_rows[violation.path[1]].append(violation)  # type: ignore[index]
    if not bad_rows:
        return ok(model.upsert_customers(tenant, rows))
    accepted = iter(
        model.upsert_customers(tenant, [r for i, r in enumerate(rows) if i not in bad_rows])
    )
    return ok(
        [
            _row_error(row, bad_rows[index]) if index in bad_rows else next(accepted)
            for index, row in enumerate(rows)
        ]
    )


def _row_error(row: Any, violations: list[Violation]) -> dict[str, Any]:
    erp = row.get("COD_CLI_ERP") if isinstance(row, dict) else None
    if isinstance(erp, bool) or not isinstance(erp, str | int | float):
        erp = ""
    detail = "; ".join(f"{v.field or 'riga'}: {v.message}" for v in violations[:5])
    error = bad_request(detail)
    return {"errorCode": error.code, "error": error.message, "COD_CLI_ERP": str(erp)}


def import_quote(model: QuoPartsModel, call: Call) -> Response:
    tenant = model.tenant_for(call.query.get("token"))
    body = call.json()
    if not _IMPORT_PVT.is_valid(body):
        raise bad_request(describe(_IMPORT_PVT.violations(body)[0]))
    data = body["data"]
    cod_doc = model.create_quote(tenant, data["testata"], data["articoli"])
    return ok([{"COD_DOC": cod_doc}])


def unknown_method(model: QuoPartsModel, call: Call) -> Response:
    raise bad_request("metodo mancante o sconosciuto (login, importCli, importPvt)")
