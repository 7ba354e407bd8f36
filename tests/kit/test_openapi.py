"""The OpenAPI documents, as served and exported: valid OpenAPI 3.1, self-contained, the real wire
of each fake (every path a route, credentials as security schemes, parameters from the contract
files, examples that meet their schemas), and the admin API's own document."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import httpx
import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate
from starlette.routing import Match

import contracts
from contracts import ADMIN, load_schema, schema_names
from mockservers import create_app
from mockservers.cli import main
from mockservers.core.redis_store import RedisStore
from mockservers.testing import SyncASGITransport
from tests.servers import free_port

DOCUMENTS = contracts.documents()
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def prefix(name: str) -> str:
    return "/__admin" if name == ADMIN else f"/{name}"


@pytest.fixture(scope="module")
def app() -> Any:
    return create_app()


@pytest.fixture(scope="module")
def served(app: Any) -> dict[str, dict[str, Any]]:
    with httpx.Client(transport=SyncASGITransport(app), base_url="http://t") as http:
        return {name: http.get(f"{prefix(name)}/openapi.json").json() for name in DOCUMENTS}


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method in METHODS:
            if method in item:
                yield path, method, item[method]


def test_the_admin_api_is_described_but_is_no_vendor() -> None:
    assert ADMIN in DOCUMENTS and ADMIN not in contracts.vendors()
    assert contracts.vendors() == ["keepit", "quoparts", "tsdigital", "xtra"]


def test_every_served_and_exported_document_is_valid_openapi(
    served: dict[str, dict[str, Any]], tmp_path: Path
) -> None:
    assert main(["contracts", "export", str(tmp_path)]) == 0
    for name in DOCUMENTS:
        validate(served[name])
        exported = json.loads((tmp_path / name / "openapi.json").read_text("utf-8"))
        validate(exported)
        assert exported == served[name] == contracts.openapi(name)


def test_an_invalid_document_is_refused_by_the_validator(served: dict[str, Any]) -> None:
    """The validator bites: a parameter without its location is refused."""
    broken = json.loads(json.dumps(served["quoparts"]))
    del broken["paths"]["/ws_quoparts.php"]["get"]["parameters"][0]["in"]
    with pytest.raises(Exception, match="in"):
        validate(broken)


def _refs(node: object) -> list[str]:
    if isinstance(node, dict):
        return [v for k, v in node.items() if k == "$ref"] + [
            r for v in node.values() for r in _refs(v)
        ]
    if isinstance(node, list):
        return [r for v in node for r in _refs(v)]
    return []


@pytest.mark.parametrize("name", DOCUMENTS)
def test_documents_are_bundled_and_self_contained(name: str, served: dict[str, Any]) -> None:
    document = served[name]
    assert document["openapi"].startswith("3.1")
    for ref in _refs(document):
        assert ref.startswith("#/components/"), ref
        node: object = document
        for part in ref[2:].split("/"):
            node = node[part]  # type: ignore[index]
    ids = [op["operationId"] for _, _, op in operations(document)]
    assert len(ids) == len(set(ids))
    assert "x-real-request" not in json.dumps(document)


def _concrete(path: str) -> str:
    return path.replace("{vendor}", "quoparts")


@pytest.mark.parametrize("name", DOCUMENTS)
def test_every_documented_path_and_method_is_a_route_of_the_kit(
    name: str, served: dict[str, Any], app: Any
) -> None:
    for path, method, _ in operations(served[name]):
        scope = {"type": "http", "path": prefix(name) + _concrete(path), "method": method.upper()}
        matches = [route.matches(scope)[0] for route in app.routes]
        assert Match.FULL in matches, f"{method.upper()} {scope['path']} reaches no route"


@pytest.mark.parametrize("vendor", contracts.vendors())
def test_every_route_of_a_fake_is_documented(vendor: str, served: dict[str, Any], app: Any) -> None:
    documented = {(path, method.upper()) for path, method, _ in operations(served[vendor])}
    routes = {(r.path, m) for r in app.state.vendors[vendor].routes for m in r.methods}
    assert routes == documented


def test_every_admin_route_is_documented(served: dict[str, Any], app: Any) -> None:
    documented = {
        (f"/__admin{path}", method.upper()) for path, method, _ in operations(served[ADMIN])
    }
    routes = {
        (route.path, method)
        for route in app.routes
        if route.path.startswith("/__admin")
        for method in route.methods
        if method != "HEAD"
    }
    assert routes == documented


def _component(ref: str, base: str) -> str:
    """A ``$ref`` (a bundled component, or a file relative to the contract ``base``) as the
    component it is bundled into."""
    if ref.startswith("#/components/schemas/"):
        return ref.removeprefix("#/components/schemas/")
    return urljoin(base, ref).removesuffix(".json").replace("/", ".")


def _same(param_schema: Any, file_schema: Any, base: str) -> bool:
    """Equal, a bundled component ref standing for the file it was bundled from."""
    if isinstance(param_schema, dict) and isinstance(file_schema, dict):
        return param_schema.keys() == file_schema.keys() and all(
            _component(v, base) == _component(file_schema[k], base)
            if k == "$ref"
            else _same(v, file_schema[k], base)
            for k, v in param_schema.items()
        )
    if isinstance(param_schema, list) and isinstance(file_schema, list):
        return len(param_schema) == len(file_schema) and all(
            _same(a, b, base) for a, b in zip(param_schema, file_schema, strict=True)
        )
    return bool(param_schema == file_schema)


@pytest.mark.parametrize("name", DOCUMENTS)
def test_every_parameter_comes_from_a_contract_file(name: str, served: dict[str, Any]) -> None:
    files = [n for n in schema_names(name) if n.endswith((".query", ".headers"))]
    for path, method, operation in operations(served[name]):
        for param in operation.get("parameters", []):
            if "$ref" in param:
                continue  # a shared path parameter (admin {vendor})
            sources = [
                file
                for file in files
                if _same(
                    param["schema"],
                    load_schema(file).get("properties", {}).get(param["name"]),
                    file,
                )
            ]
            assert sources, f"{method.upper()} {path}: {param['name']} is in no contract file"


def _schemes(document: dict[str, Any], requirement: dict[str, Any]) -> set[tuple[str, ...]]:
    schemes = document["components"]["securitySchemes"]
    return {
        (schemes[n]["type"], schemes[n].get("in", ""), schemes[n].get("name", ""))
        if schemes[n]["type"] == "apiKey"
        else (schemes[n]["type"], schemes[n]["scheme"])
        for n in requirement
    }


def _security(document: dict[str, Any], operation: dict[str, Any]) -> list[set[tuple[str, ...]]]:
    return [_schemes(document, r) for r in operation.get("security", document.get("security"))]


def test_credentials_are_security_schemes_and_no_parameter(served: dict[str, Any]) -> None:
    quoparts, xtra = served["quoparts"], served["xtra"]
    (login,) = [op for _, _, op in operations(quoparts) if op["operationId"] == "login"]
    (imports,) = [op for _, m, op in operations(quoparts) if m == "post"]
    assert _security(quoparts, login) == []
    assert _security(quoparts, imports) == [{("apiKey", "query", "token")}]
    update = xtra["paths"]["/api/sync/v1/irs/update"]["post"]
    assert _security(xtra, update) == [
        {("apiKey", "header", "SyncPublicKey"), ("apiKey", "header", "SyncSecretKey")},
        {("apiKey", "header", "AccessToken")},
    ]
    assert _security(xtra, xtra["paths"]["/api/sync/v1/login"]["post"]) == []
    keepit = served["keepit"]
    assert _security(keepit, keepit["paths"]["/api"]["post"]) == [
        {("apiKey", "header", h) for h in ("username", "password", "companyId", "siteId")}
    ]
    tsdigital = served["tsdigital"]
    assert _security(tsdigital, tsdigital["paths"]["/api/v3/items"]["post"]) == [
        {("http", "bearer")}
    ]
    carried = {"token", "syncpublickey", "syncsecretkey", "accesstoken", "authorization"}
    carried |= {"username", "password", "companyid", "siteid"}
    for vendor in ("quoparts", "xtra", "keepit", "tsdigital"):
        for _, _, operation in operations(served[vendor]):
            if operation["operationId"] == "login":
                continue  # login's username/password are what it checks, not credentials
            names = {p["name"].lower() for p in operation.get("parameters", [])}
            assert not names & carried, (vendor, operation["operationId"], names & carried)


def test_quoparts_says_the_most_openapi_can_about_two_operations_on_one_path(
    served: dict[str, Any],
) -> None:
    item = served["quoparts"]["paths"]["/ws_quoparts.php"]
    assert list(served["quoparts"]["paths"]) == ["/ws_quoparts.php"]
    (flag, *credentials) = item["get"]["parameters"]
    assert (flag["name"], flag["required"], flag["allowEmptyValue"]) == ("login", True, True)
    assert flag["schema"]["const"] == ""
    assert [p["name"] for p in credentials] == ["username", "password"]
    post = item["post"]
    flags = {p["name"]: (p["required"], p["allowEmptyValue"]) for p in post["parameters"]}
    assert flags == {"importCli": (False, True), "importPvt": (False, True)}
    body = post["requestBody"]["content"]["application/json"]["schema"]
    assert body == {
        "oneOf": [
            {"$ref": "#/components/schemas/quoparts.importCli.request"},
            {"$ref": "#/components/schemas/quoparts.importPvt.request"},
        ]
    }
    answer = post["responses"]["200"]["content"]["application/json"]["schema"]
    assert len(answer["anyOf"]) == 2
    pairing = {
        e["queryFlag"]: (e["operationId"], e["request"]["$ref"], e["responses"]["200"]["$ref"])
        for e in post["x-operations"]
    }
    assert pairing == {
        flag: (
            flag,
            f"#/components/schemas/quoparts.{flag}.request",
            f"#/components/schemas/quoparts.{flag}.response",
        )
        for flag in ("importCli", "importPvt")
    }


def _media(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for path, method, operation in operations(document):
        where = f"{method.upper()} {path}"
        for media in operation.get("requestBody", {}).get("content", {}).values():
            yield f"{where} request", media
        for status, answer in operation.get("responses", {}).items():
            shared = document["components"].get("responses", {})
            answer = shared.get(answer.get("$ref", "").rsplit("/", 1)[-1], answer)
            for media in answer.get("content", {}).values():
                yield f"{where} {status}", media


@pytest.mark.parametrize("name", DOCUMENTS)
def test_every_example_meets_its_schema(name: str, served: dict[str, Any]) -> None:
    document = served[name]
    checked = 0
    for where, media in _media(document):
        root = {**media.get("schema", {}), "components": document["components"]}
        validator = Draft202012Validator(root, format_checker=Draft202012Validator.FORMAT_CHECKER)
        for key, example in media.get("examples", {}).items():
            errors = [e.message for e in validator.iter_errors(example["value"])]
            assert not errors, f"{where} example {key}: {errors[:3]}"
            checked += 1
    assert checked, f"{name} has no examples"


OVER_THE_LIMIT = [
    ("xtra", "post", "/api/sync/v1/login", ""),
    ("xtra", "post", "/api/sync/v1/irs/update", ""),
    ("quoparts", "get", "/ws_quoparts.php", "login"),
    ("quoparts", "post", "/ws_quoparts.php", "importCli"),
    ("quoparts", "post", "/ws_quoparts.php", "importPvt"),
    ("keepit", "post", "/api", "cmd=insertClient_v3&appId=KEEPIT&applicationId=KEEPIT"),
    ("tsdigital", "post", "/api/v3/items", ""),
]
"""Every operation of each fake, as (vendor, method, path, query)."""


@pytest.mark.parametrize(("vendor", "method", "path", "query"), OVER_THE_LIMIT)
def test_the_fakes_own_413_is_in_every_operation_of_its_document(
    vendor: str, method: str, path: str, query: str, served: dict[str, Any]
) -> None:
    """Every status with its response schema (docs/openapi.md): a body over the kit's limit is
    the fake's 413 on every operation, listed with the schema it meets, in QuoParts's
    x-operations too (XTRA and QuoParts listed none, and the kit's verdict flagged the
    fake's own answer)."""
    app = create_app({"kit": {"max_body_bytes": 64}})
    with httpx.Client(transport=SyncASGITransport(app), base_url="http://t") as http:
        url = f"/{vendor}{path}?{query}"
        answer = http.request(method.upper(), url, content=b"[" + b" " * 100 + b"]")
    assert answer.status_code == 413
    document = served[vendor]
    operation = document["paths"][path][method]
    assert operation["responses"]["413"]["x-kit-answer"] is True  # no answer of the vendor's
    schemas = [operation["responses"]["413"]["content"]["application/json"]["schema"]]
    schemas += [e["responses"]["413"] for e in operation.get("x-operations", [])]
    for schema in schemas:
        validator = Draft202012Validator({**schema, "components": document["components"]})
        assert [e.message for e in validator.iter_errors(answer.json())] == []


@pytest.mark.parametrize("vendor", ["quoparts", "keepit", "xtra", "tsdigital"])
def test_the_seeds_request_examples_are_in_the_operations(
    vendor: str, served: dict[str, Any]
) -> None:
    """Every request example of the contract files is an example of the operation it is sent
    to (the same examples the vendor's tests/<vendor>/test_http.py sends)."""
    shown = [
        json.dumps(example["value"], sort_keys=True)
        for where, media in _media(served[vendor])
        if where.endswith("request")
        for example in media.get("examples", {}).values()
    ]
    for name in schema_names(vendor):
        if name.endswith(".request"):
            for example in load_schema(name).get("examples", []):
                assert json.dumps(example, sort_keys=True) in shown, name


def test_the_admin_document_knows_the_kit_s_vendors_operations_and_fault_kinds(app: Any) -> None:
    vendors = app.state.vendors
    assert load_schema("admin/defs/vendor")["enum"] == sorted(vendors)
    branches = load_schema("admin/addFault.request")["oneOf"]
    described = {
        b["properties"]["vendor"]["const"]: (
            {o for o in b["properties"]["operation"]["enum"] if o is not None},
            set(b["properties"]["kind"]["enum"]),
        )
        for b in branches
    }
    assert described == {n: (set(v.operations), set(v.fault_kinds)) for n, v in vendors.items()}
    matched = {
        b["if"]["properties"]["vendor"]["const"]: set(b["then"]["properties"]["operation"]["enum"])
        for b in load_schema("admin/defs/journalOperation")["allOf"]
    }
    assert matched == {n: {*v.operations, "unknown"} for n, v in vendors.items()}
    every = set(load_schema("admin/listRequests.query")["properties"]["operation"]["enum"])
    assert every == {"", *set().union(*matched.values())}


SESSIONLESS = {"createSession", "listSessions", "dropSessions"}
"""The calls on the sessions themselves: a session would only seem to narrow them."""


def test_every_admin_call_declares_its_session_and_its_404_for_an_unknown_one(
    app: Any, served: dict[str, dict[str, Any]]
) -> None:
    """Every admin call but the sessions' own takes ?session= (an unknown one is a 404), and
    declares it; those refuse one with a 400 and do not declare it (``DELETE /sessions`` took
    it, declared, and dropped every session). Every call may meet a store it cannot reach
    (503). ``GET``/``DELETE /sessions/{session_id}`` took it undeclared."""
    filled = {"vendor": "quoparts", "entry_id": "1", "session_id": "abc", "asset": "ui.js"}
    with httpx.Client(transport=SyncASGITransport(app), base_url="http://t") as http:
        for path, method, operation in operations(served[ADMIN]):
            if path in ("/openapi.json", "/docs") or path.startswith("/ui"):
                continue
            url = "/__admin" + path.format(**filled)
            body = {"json": {}} if method in ("post", "put") else {}
            answer = http.request(method.upper(), url, params={"session": "nope"}, **body)
            where = f"{method.upper()} {path}"
            scoped = operation["operationId"] not in SESSIONLESS
            assert answer.status_code == (404 if scoped else 400), where
            assert str(answer.status_code) in operation["responses"], where
            assert "503" in operation["responses"], where
            names = [p["name"] for p in operation.get("parameters", [])]
            assert ("session" in names) is scoped, where


def test_every_admin_call_that_takes_a_session_declares_the_watch_header(
    served: dict[str, dict[str, Any]],
) -> None:
    """The dashboard's poll sends X-Mockservers-Watch, which every call with ?session= reads (a
    look that does not renew the session), and the document did not say so: a tool built from
    it knew no way to look at a session without keeping it alive."""
    for path, method, operation in operations(served[ADMIN]):
        params = {(p["name"], p["in"]): p for p in operation.get("parameters", []) if "name" in p}
        where = f"{method.upper()} {path}"
        watch = params.get(("X-Mockservers-Watch", "header"))
        assert (watch is not None) is (("session", "query") in params), where
        if watch is not None:
            assert not watch["required"] and watch["schema"]["type"] == "string", where


def test_the_admin_document_s_503_shows_what_a_kit_whose_redis_is_away_answers(
    served: dict[str, dict[str, Any]],
) -> None:
    """The 503's example was the unknown-vendor error: a reader took the 503 for a vendor
    missing. It is the answer of a kit that cannot reach its Redis store."""
    app = create_app(store=RedisStore(f"redis://127.0.0.1:{free_port()}/0"))
    with httpx.Client(transport=SyncASGITransport(app), base_url="http://t") as http:
        answer = http.get("/__admin/health")
    assert answer.status_code == 503
    media = served[ADMIN]["components"]["responses"]["unavailable"]["content"]["application/json"]
    shown = [example["value"]["error"] for example in media["examples"].values()]
    said = answer.json()["error"]
    assert said.startswith("cannot reach Redis at redis (redis://")
    assert [text.partition(" (")[0] for text in shown] == [said.partition(" (")[0]]
