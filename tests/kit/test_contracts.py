"""The contracts: every example validates, the bundled OpenAPI is self-contained, export works."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import contracts
from contracts import contract, load_schema, reading, schema_names
from contracts.binding import body_names, bound_body
from contracts.closed import closed_validator
from contracts.loader import READING_URI, uri_for
from contracts.messages import VERDICT_MESSAGE_CHARS, query_values, reads_first_value, verdict
from contracts.reading import reading_view
from contracts.rules import broken_rule, rules, structural
from mockservers.cli import main

EXAMPLES = [
    (name, index)
    for name in schema_names()
    for index, _ in enumerate(load_schema(name).get("examples", []))
]


RULED = [name for name in schema_names() if "x-rule" in json.dumps(load_schema(name))]


@pytest.mark.parametrize("name", RULED)
def test_every_rule_a_contract_writes_is_named_with_its_title(name: str) -> None:
    """The fakes and the clients name a broken rule from here: a rule written where it is
    not read (nested, without its ``not``), or without a title, would be named by nobody."""
    written = [entry for entry in load_schema(name)["allOf"] if "x-rule" in entry]
    found = rules(contract(name))
    assert [(rule.name, rule.title) for rule in found] == [
        (entry["x-rule"], entry["title"]) for entry in written
    ]
    assert all(rule.title and rule.forbidden for rule in found)
    assert json.dumps(load_schema(name)).count('"x-rule"') == len(found)


def test_a_broken_rule_is_found_only_in_a_body_of_the_right_shape() -> None:
    checked = contract("tsdigital/createItem.request")
    broken = checked.check({"item": {"base": {}}, "certified": True})
    assert [str(broken_rule(checked, v)) for v in broken] == [
        "rule certified-validated (certified=true needs validated=true)"
    ]
    assert structural(checked, broken) == []
    wrong = checked.check([1])  # a rule's ``not`` fails on a non-object too
    assert [v.keyword for v in structural(checked, wrong)] == ["type"]


@pytest.mark.parametrize(("name", "index"), EXAMPLES, ids=[f"{n}#{i}" for n, i in EXAMPLES])
def test_every_example_in_a_contract_is_valid(name: str, index: int) -> None:
    example = load_schema(name)["examples"][index]
    assert contract(name).check(example) == []
    assert contract(name).is_valid(example)


def test_every_schema_file_compiles_and_refs_resolve() -> None:
    for name in schema_names():
        contract(name).is_valid({})  # resolves every $ref reachable from an empty object


def test_validators_are_compiled_once() -> None:
    assert contract("quoparts/importCli.request") is contract("quoparts/importCli.request")


SUCCESS_OR_ERROR = [
    name
    for name in schema_names()
    if name.endswith(".response") and len(load_schema(name).get("oneOf", ())) == 2
]


@pytest.mark.parametrize("name", SUCCESS_OR_ERROR)
def test_a_part_of_a_contract_is_a_contract_its_first_branch_the_success_answer(
    name: str,
) -> None:
    """``name#/oneOf/0`` (what the reference clients check a success answer against) is the
    success answer alone: the file's success examples pass it, its error examples do not."""
    success = contract(f"{name}#/oneOf/0")
    assert success is contract(f"{name}#/oneOf/0")
    assert success.schema is load_schema(name)["oneOf"][0]
    for example in load_schema(name)["examples"]:
        said_ok = example.get("errorCode") in ("0", None) and example.get("statusCode", 200) == 200
        assert success.is_valid(example) is said_ok and success.passes(example) is said_ok


def test_a_success_answer_is_explained_by_the_success_part_never_the_error_answer() -> None:
    """A success answer broken in many places, more than the error answer's rules it breaks:
    the whole contract and its success part both name the fields that are wrong (the whole
    named errorCode and statusCode, the error answer's)."""
    record = {"Item1": "abc", "Item2": 5, "Item3": False, "Item4": None, "Item5": {"0": 1}}
    paged = {"totalCount": 1, "totalPages": 1, "page": 1, "count": 1, "record": None}
    body = {"statusCode": 200, "errorCode": None, "message": None}
    body["result"] = paged | {"records": [record | {"Item6": {"D1": None}}]}
    whole = contract("xtra/updateIdentities.response").check(body)
    part = contract("xtra/updateIdentities.response#/oneOf/0").check(body)
    assert [v.pointer.removeprefix("result.records[0].") for v in part] == [
        *("Item1", "Item2", "Item4", "Item5", "Item6")
    ]
    assert whole == part


@pytest.mark.parametrize(("name", "index"), EXAMPLES, ids=[f"{n}#{i}" for n, i in EXAMPLES])
def test_a_reading_view_refuses_nothing_its_contract_admits(name: str, index: int) -> None:
    example = load_schema(name)["examples"][index]
    assert reading(name).check(example) == [] and reading(name).passes(example)


VALUE_RULES = {"pattern", "format", "maxLength", "maxItems", "maxProperties", "minimum", "not"}


def _outside_if(node: object) -> Iterator[tuple[str, object]]:
    """Each keyword of a schema and its subschemas, with its value; an ``if`` (which refuses
    nothing) left out, ``properties`` and ``$defs`` looked into (their names no keywords)."""
    if isinstance(node, list):
        for item in node:
            yield from _outside_if(item)
    elif isinstance(node, dict):
        for keyword, value in node.items():
            if keyword in ("properties", "$defs"):
                yield from _outside_if(list(value.values()))
            elif keyword != "if":
                yield keyword, value
                yield from _outside_if(value)


def test_a_reading_view_keeps_the_shape_and_drops_the_fake_s_formats() -> None:
    """A client reads a real vendor's answer through the view: the fields and their JSON types,
    not the formats the fake decided (QuoParts's COD_DOC of 6 digits, XTRA's error codes)."""
    for name in schema_names():
        view = reading(name).schema
        assert view is reading(name).schema
        kept = list(_outside_if(view))
        assert not {keyword for keyword, _ in kept} & {*VALUE_RULES, "oneOf"}, name
        values = [v if isinstance(v, list) else [v] for k, v in kept if k in ("const", "enum")]
        assert not [v for v in values if any(isinstance(item, str) for item in v)], name
    quote = "quoparts/importPvt.response#/oneOf/0"
    assert reading(quote) is reading(quote) and reading(quote) is not contract(quote)
    assert reading(quote).uri.startswith(READING_URI) and uri_for("x", reading=True).startswith(
        READING_URI
    )
    answer = {"errorCode": "0", "error": "", "data": [{"COD_DOC": "1234"}]}
    assert reading(quote).check(answer) == []
    assert [v.keyword for v in contract(quote).check(answer)] == ["pattern"]
    for broken in ({"COD_DOC": None}, {}):
        assert reading(quote).check(answer | {"data": [broken]}), broken
    assert [v.keyword for v in reading(quote).check(answer | {"data": []})] == ["minItems"]
    record = {"Item1": 0, "Item2": None, "Item3": False, "Item5": {"a": 1}, "Item6": {}}
    record["Item4"] = {"Code": "ER.NEW", "Message": "m"}
    assert reading("xtra/defs/recordResult").check(record) == []
    assert [
        v.pointer for v in reading("xtra/defs/recordResult").check(record | {"Item4": None})
    ] == ["Item4"]


@pytest.mark.parametrize(
    ("pointer", "said"),
    [
        ("oneOf/0", "does not start with '/'"),
        ("/oneOf/2", "reaches nothing at '2'"),
        ("/oneOf/x", "reaches nothing at 'x'"),
        ("/oneOf/-1", "reaches nothing at '-1'"),
        ("/oneOf/0/allOf/0/$ref/x", "reaches nothing at 'x'"),
        ("/nowhere", "reaches nothing at 'nowhere'"),
    ],
)
def test_a_pointer_to_no_part_is_a_value_error_naming_the_contract_and_pointer(
    pointer: str, said: str
) -> None:
    """Was a bare KeyError, IndexError or int()'s ValueError; ``-1`` took the last branch."""
    name = f"quoparts/importCli.response#{pointer}"
    for compiled in (contract, reading):
        with pytest.raises(
            ValueError, match=r"contract .quoparts/importCli\.response.: "
        ) as caught:
            compiled(name)
        assert said in str(caught.value) and repr(pointer) in str(caught.value)


SCHEMA_MAPS = ("properties", "patternProperties", "$defs")


def escaped(name: str) -> str:
    """A name as a JSON pointer's token (RFC 6901)."""
    return name.replace("~", "~0").replace("/", "~1")


def parts_of(schema: Any, pointer: str = "") -> Iterator[tuple[str, Any]]:
    """Every subschema of ``schema`` under a name or a position, with its JSON pointer."""
    for keyword, value in schema.items():
        if keyword in SCHEMA_MAPS and isinstance(value, dict):
            subs = [(f"{keyword}/{escaped(name)}", sub) for name, sub in value.items()]
        elif keyword in ("allOf", "anyOf", "oneOf", "prefixItems") and isinstance(value, list):
            subs = [(f"{keyword}/{index}", sub) for index, sub in enumerate(value)]
        elif keyword in ("items", "additionalProperties"):
            subs = [(keyword, value)]
        else:
            continue
        for path, sub in subs:
            if isinstance(sub, dict):
                yield f"{pointer}/{path}", sub
                yield from parts_of(sub, f"{pointer}/{path}")


def test_every_part_of_the_har_contract_is_a_contract_in_both_views() -> None:
    """A pointer whose token no URI may hold as it is (``/patternProperties/^_``, the HAR's
    custom fields) was refused as an ``Invalid URI reference``: each token is percent-encoded
    in the part's URI."""
    parts = list(parts_of(load_schema("har/har")))
    assert "/patternProperties/^_" in dict(parts)
    for pointer, part in parts:
        whole, view = contract(f"har/har#{pointer}"), reading(f"har/har#{pointer}")
        assert whole.schema is part and view.schema == reading_view(part), pointer
        assert "^" not in whole.uri and "^" not in view.uri
        for part_contract in (whole, view):  # both engines read the part, and agree
            assert part_contract.is_valid(None) is (part_contract.check(None) == [])


def test_violation_names_the_field_and_path() -> None:
    violations = contract("quoparts/importCli.request").check(
        {"data": [{"DES_NOM": "x", "COD_PTA_IVA": "1"}]}
    )
    assert [(v.field, v.pointer) for v in violations] == [("COD_CLI_ERP", "data[0]")]


def test_format_checking_is_on() -> None:
    """A bad date is refused where a contract declares format: date (XTRA identity documents)."""
    document = {"Number": "1", "FIDDocumentTypology": 1, "ReleaseDate": "2024-02-30"}
    record = {"ID": 59990, "IdentityDocuments": [document]}
    checked = contract("xtra/defs/identity")
    assert not checked.is_valid(record)
    assert [(v.field, v.keyword, v.pointer) for v in checked.check(record)] == [
        ("ReleaseDate", "format", "IdentityDocuments[0].ReleaseDate")
    ]
    document["ReleaseDate"] = "2024-02-29"
    assert checked.is_valid(record)


def _nodes(node: object) -> list[dict[str, object]]:
    """Every schema object in a document, itself first."""
    if isinstance(node, dict):
        return [node, *(n for child in node.values() for n in _nodes(child))]
    if isinstance(node, list):
        return [n for child in node for n in _nodes(child)]
    return []


def _properties_with_min_length(document: object) -> list[tuple[str, set[str]]]:
    """Each property given a ``minLength`` (itself or in an ``anyOf`` branch), with the names
    the schema object that declares it requires, or that an object referring to it (a ``$ref``
    in the same file) requires beside the reference: the columns an insert requires, which an
    update may leave out but not empty (XTRA's ``$defs/filled``)."""
    requiring: dict[int, set[str]] = {}
    for node in _nodes(document):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/"):
            target: object = document
            for part in ref[2:].split("/"):
                target = target[part]  # type: ignore[index]
            requiring.setdefault(id(target), set()).update(node.get("required", ()))  # type: ignore[arg-type]
    found: list[tuple[str, set[str]]] = []
    for node in _nodes(document):
        properties = node.get("properties")
        for name, schema in properties.items() if isinstance(properties, dict) else ():
            branches = [schema, *schema.get("anyOf", [])] if isinstance(schema, dict) else []
            if any(isinstance(b, dict) and "minLength" in b for b in branches):
                required = {*node.get("required", ()), *requiring.get(id(node), ())}  # type: ignore[misc]
                found.append((name, required))
    return found


def _refs(node: object) -> list[str]:
    if isinstance(node, dict):
        return [v for k, v in node.items() if k == "$ref"] + [
            r for v in node.values() for r in _refs(v)
        ]
    if isinstance(node, list):
        return [r for v in node for r in _refs(v)]
    return []


@pytest.mark.parametrize("vendor", contracts.vendors())
def test_openapi_is_bundled_from_the_contract_files(vendor: str) -> None:
    document = contracts.openapi(vendor)
    assert document["openapi"].startswith("3.1")
    for ref in _refs(document):
        assert ref.startswith("#/components/schemas/"), ref
        node: object = document
        for part in ref[2:].split("/"):
            node = node[part]  # type: ignore[index]
    operation_ids = [
        op["operationId"] for item in document["paths"].values() for op in item.values()
    ]
    assert len(operation_ids) == len(set(operation_ids))


def test_contracts_export_writes_schemas_and_openapi(tmp_path: Path) -> None:
    assert main(["contracts", "export", str(tmp_path)]) == 0
    exported = json.loads((tmp_path / "quoparts" / "openapi.json").read_text())
    assert exported == contracts.openapi("quoparts")
    schema = json.loads((tmp_path / "quoparts" / "importCli.request.json").read_text())
    assert schema == load_schema("quoparts/importCli.request")
    assert (tmp_path / "quoparts" / "defs" / "customer.json").is_file()


def test_contracts_export_into_a_file_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A file where the folder goes was a traceback."""
    occupied = tmp_path / "taken"
    occupied.write_text("a file")
    assert main(["contracts", "export", str(occupied)]) == 2
    assert f"cannot write the contracts into {occupied}" in capsys.readouterr().err


def test_a_verdict_quotes_a_value_refused_whole_only_in_part() -> None:
    """An answer refused as a whole (an array where an object goes) is quoted by the
    validator's message: cut, or a 12 MB answer put 18 MB of message in the journal."""
    answer = json.dumps([{"CODICE": f"C{n:07d}"} for n in range(20_000)]).encode()
    exchange = {"query": [], "headers": {}, "body": b"", "status": 200, "answer": answer}
    found = verdict("quoparts", "login", **exchange)["response"]
    assert found and all(len(line) < VERDICT_MESSAGE_CHARS + 200 for line in found)
    assert any("is not of type 'object'" in line and "characters cut" in line for line in found)


@pytest.mark.parametrize(
    ("vendor", "operation"),
    [
        ("quoparts", "login"),
        ("quoparts", "importCli"),
        ("quoparts", "importPvt"),
        ("xtra", "login"),
        ("xtra", "updateIdentities"),
        ("keepit", "insertClient_v3"),
        ("tsdigital", "createItem"),
    ],
)
def test_the_kit_s_own_413_passes_from_a_fake_and_not_from_the_vendor(
    vendor: str, operation: str
) -> None:
    """The fakes answer 413 to a body over their limit, which their documents list marked
    ``x-kit-answer``; the vendors' own documents give no 413, so a real vendor's 413 is off
    them: it passed, and a QuoParts 503's verdict read "(200, 413)"."""
    answer = b'{"errorCode":"100","error":"Richiesta errata","data":[]}'
    exchange = {"query": [], "headers": {}, "body": None, "status": 413, "answer": answer}
    off = f"{vendor}/{operation}: status 413 is no answer its document gives ("
    from_fake = verdict(vendor, operation, **exchange)["response"]
    assert not [line for line in from_fake if line.startswith(off)]
    from_vendor = verdict(vendor, operation, **exchange, vendor_answered=True)["response"]
    (given,) = [line.removeprefix(off) for line in from_vendor if line.startswith(off)]
    assert "413" not in given and (given == "200)" or vendor != "quoparts")


def test_body_names_are_compiled_once_from_marked_contracts_only() -> None:
    marked = contract("xtra/updateIdentities.request")
    assert body_names(marked) is body_names(marked) is not None
    assert body_names(contract("keepit/insertClient_v3.request")) is None  # names as written


def test_a_body_spelled_as_its_contract_is_kept_as_it_came() -> None:
    """The common case copies nothing: each object only has its names looked at."""
    names = body_names(contract("xtra/updateIdentities.request"))
    contact = {"FIDContactTypology": 2, "Value": "a@b.it"}
    record = {"FIDGroup": 2, "TypologyIds": [2], "Contacts": [contact], "Extra": 1}
    body = [record]
    assert bound_body(names, body) is body
    assert body[0] is record and record["Contacts"][0] is contact


def test_only_ascii_names_are_folded() -> None:
    """Python folds the Kelvin sign to "k"; .NET's ordinal case folding does not."""
    names = body_names(contract("xtra/updateIdentities.request"))
    kelvin = "External\u212aey"
    assert bound_body(names, [{kelvin: "A", "externalKEY": "B"}]) == [
        {kelvin: "A", "ExternalKey": "B"}
    ]


@pytest.mark.parametrize(
    ("name", "first"),
    [
        ("xtra/login.query", True),
        ("xtra/updateIdentities.query", True),
        ("quoparts/login.query", False),
        ("keepit/insertClient_v3.query", False),
    ],
)
def test_a_repeated_parameter_reads_as_its_query_contract_says(name: str, first: bool) -> None:
    """XTRA's contracts (ASP.NET Core) read a repeated parameter's first value, QuoParts's
    (PHP) and KeepIT's its last; names stay as sent, each spelling its own."""
    sent = [("debug", "a"), ("Debug", "b"), ("debug", "c")]
    assert reads_first_value(contract(name)) is first
    read = {"debug": "a", "Debug": "b"} if first else {"debug": "c", "Debug": "b"}
    assert query_values(contract(name), sent) == read
    assert query_values(None, sent) == {"debug": "c", "Debug": "b"}  # no contract: the last


def test_a_closed_view_admits_nothing_its_contract_refuses_formats_included() -> None:
    """A fake's fast road trusts the closed view (``contracts/closed.py``) in place of the
    contract: what the view admits must pass the contract, a ``format`` as much as a field."""
    name = "tsdigital/createItem.headers"
    closed = closed_validator(name)
    headers = {"Authorization": "Bearer 0123abcd", "X-App-Name": "erp", "X-App-Version": "1"}
    for request_id, valid in [
        ("0b7e1c52-3c1e-4f7a-9d3e-2a1f7c9b5e11", True),
        ("not-a-uuid", False),
    ]:
        sent = headers | {"X-Request-ID": request_id}
        assert closed.is_valid(sent) is valid
        assert (contract(name).check(sent) == []) is valid
    assert not closed.is_valid(headers | {"X-Other": "a header the contract does not list"})
