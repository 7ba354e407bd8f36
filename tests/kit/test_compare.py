"""Generated values (``mockservers.core.generated``) and the comparison of two answers
(``mockservers.core.compare``) that the shadow and replay share."""

from __future__ import annotations

import orjson
import pytest

from mockservers import create_app
from mockservers.core.compare import ABSENT, Answer, Difference, differences
from mockservers.core.generated import Generated, Request, Translation, matches, pattern
from mockservers.vendors import VENDOR_CLASSES


@pytest.mark.parametrize(
    ("text", "path", "expected"),
    [
        ("data.*.TOKEN", ("data", 0, "TOKEN"), True),
        ("data.*.TOKEN", ("data", "key", "TOKEN"), True),  # * is any one key or index
        ("data.*.TOKEN", ("data", "TOKEN"), False),
        ("data.*.TOKEN", ("data", 0, "COD_CLI"), False),
        ("data.*.TOKEN", ("data", 0), False),
        ("insertedObjects.**.progId", ("insertedObjects", 0, "progId"), True),
        ("insertedObjects.**.progId", ("insertedObjects", 0, "cards", 2, "progId"), True),
        ("insertedObjects.**.progId", ("duplicatedObjects", 0, "progId"), False),
        ("id", ("id",), True),
    ],
)
def test_patterns(text: str, path: tuple[str | int, ...], expected: bool) -> None:
    assert matches(pattern(text), path) is expected


def answer(body: object, status: int = 200, content_type: str = "application/json") -> Answer:
    return Answer(status, orjson.dumps(body), content_type)


def codes(body: object) -> list[str]:
    return [body["errorCode"]] if isinstance(body, dict) and "errorCode" in body else []


def test_differences_read_as_a_tester_reads_them() -> None:
    first = answer({"errorCode": "0", "error": "", "data": [{"TOKEN": "a", "n": 1}, {"x": 1}]})
    second = answer(
        {"errorCode": "101", "error": "No", "data": [{"TOKEN": "b", "n": 1.0}]},
        status=401,
        content_type="text/plain; charset=utf-8",
    )
    found = differences(first, second, (Generated("data.*.TOKEN"),), codes)
    assert [d.describe() for d in found] == [
        "status: 200 vs 401",
        'error code: "0" vs "101"',
        'header.content-type: "application/json" vs "text/plain"',
        'body.errorCode: "0" vs "101"',
        'body.error: "" vs "No"',
        "body.data[0].n: 1 vs 1.0",  # another type on the wire is another answer
        'body.data[1]: {"x":1} vs (absent)',
    ]
    assert found[-1].general == "body.data[*]"
    assert found[-1].as_json("upstream", "fake") == {"field": "body.data[1]", "upstream": {"x": 1}}


def test_a_generated_field_missing_or_of_another_type_is_a_difference() -> None:
    """Its value is the server's own, not whether it is there: a login answer without its
    TOKEN, or with a number for it, showed no difference."""
    generated = (Generated("data.*.TOKEN"),)
    token = answer({"data": [{"TOKEN": "a"}]})
    assert differences(token, answer({"data": [{"TOKEN": "b"}]}), generated) == []
    (missing,) = differences(token, answer({"data": [{}]}), generated)
    assert missing.describe() == 'body.data[0].TOKEN: "a string" vs (absent)'
    (number,) = differences(token, answer({"data": [{"TOKEN": 12345678}]}), generated)
    assert number.describe() == 'body.data[0].TOKEN: "a string" vs "a number"'


def test_secrets_never_show_and_bodies_that_are_not_json_compare_as_text() -> None:
    first = answer({"result": {"Password": "p1", "Users": [{"Token": "t1"}]}, "ok": True})
    second = answer({"result": {"Password": "p2", "Users": [{"Token": "t2"}]}, "ok": 1})
    assert [d.describe() for d in differences(first, second)] == [
        'body.result.Password: "***" vs "***"',
        'body.result.Users[0].Token: "***" vs "***"',
        "body.ok: true vs 1",
    ]
    blank = differences(answer({"Password": ""}), answer({"Password": "p"}))
    assert [d.describe() for d in blank] == ['body.Password: "" vs "***"']  # nothing to hide
    cut = Answer(200, b'{"errorCode":"0","da', "application/json")
    (found,) = differences(answer({"errorCode": "0"}), cut)
    assert found == Difference("body", {"errorCode": "0"}, '{"errorCode":"0","da')
    assert differences(Answer(204, b""), Answer(204, b"")) == []
    assert differences(Answer(200, b""), answer([]))[0].first is ABSENT
    # Not JSON because of a BOM or a PHP notice first: its secrets are blotted out all the same.
    noisy = Answer(200, b'\xef\xbb\xbf{"Token": "XtraAccessTok0001"}', "application/json")
    (found,) = differences(noisy, answer({"Token": "t"}))
    assert found.first == '\ufeff{"Token": "***"}'


def test_a_text_quoting_a_generated_value_is_compared_without_it() -> None:
    declared = (Generated("m", inside=r"\(ID \d+\)"),)
    same = differences(
        answer({"m": "già trovata (ID 5)"}), answer({"m": "già trovata (ID 2)"}), declared
    )
    assert same == []
    other = differences(
        answer({"m": "già trovata (ID 5)"}), answer({"m": "non trovata (ID 2)"}), declared
    )
    assert [d.field for d in other] == ["body.m"]


def test_a_translation_learns_pairs_and_rewrites_the_places_that_carry_them() -> None:
    translation = Translation(
        (
            Generated("data.*.TOKEN", carried_by=("query.token", "headers.accesstoken")),
            Generated("data.*.ID", carried_by=("body.*.ID",)),
            Generated("data.*.COD_PWD"),
        )
    )
    translation.learn(
        {"data": [{"TOKEN": "up-1", "ID": 5, "COD_PWD": "X"}, {"ID": True}]},
        {"data": [{"TOKEN": "fake-1", "ID": 2, "COD_PWD": "Y"}, {"ID": False}]},
    )
    translation.learn({"data": [{"TOKEN": "***"}]}, {"data": [{"TOKEN": "fake-2"}]})
    request = Request(
        query=[("token", "up-1"), ("other", "up-1")],
        headers=[("AccessToken", "***")],
        body=[{"ID": 5, "Contacts": [{"ID": 5}]}, {"ID": "5"}],
        body_json=True,
    )
    assert translation.rewrite(request)
    assert request.query == [("token", "fake-1"), ("other", "up-1")]
    assert request.headers == [("AccessToken", "fake-2")]  # the latest masked token's
    assert request.body == [{"ID": 2, "Contacts": [{"ID": 5}]}, {"ID": "5"}]  # typed, in place
    assert not Translation(()).rewrite(request)


def test_a_translation_reads_a_whole_float_as_its_integer_and_writes_it_as_a_float() -> None:
    """``3.0`` (PHP's ``json_encode`` of a float) is the ID 3 to a vendor that reads it into
    an integer: it went to the fake untranslated. Translated, it keeps its spelling."""
    translation = Translation((Generated("data.*.ID", carried_by=("body.*.ID",)),))
    translation.learn({"data": [{"ID": 3.0}]}, {"data": [{"ID": 2}]})
    request = Request(
        query=[], headers=[], body=[{"ID": 3}, {"ID": 3.0}, {"ID": 3.5}], body_json=True
    )
    assert translation.rewrite(request)
    assert request.body == [{"ID": 2}, {"ID": 2.0}, {"ID": 3.5}]
    assert [type(record["ID"]) for record in request.body] == [int, float, float]


def test_a_translation_for_a_vendor_reading_numbers_from_text_writes_an_id_text_as_text() -> None:
    """XTRA's binders read ``"ID": "3"`` as the ID 3: left as it came, the fake got the
    vendor's ID where the vendor read its own (under an AccessToken, another identity: a 403).
    A text spelling a whole number is translated, as text; any other text is left as it came,
    and a vendor that reads no number from text keeps ``"3"`` apart from 3."""
    carried = (Generated("data.*.ID", carried_by=("body.*.ID",)),)
    body = [{"ID": "3"}, {"ID": "+3"}, {"ID": "3.0"}, {"ID": " 3"}, {"ID": "9" * 5000}, {"ID": 3}]
    rewritten = {}
    for from_text in (True, False):
        translation = Translation(carried, numbers_from_text=from_text)
        translation.learn({"data": [{"ID": 3}]}, {"data": [{"ID": 2}]})
        request = Request(
            query=[], headers=[], body=orjson.loads(orjson.dumps(body)), body_json=True
        )
        assert translation.copy().rewrite(request)
        rewritten[from_text] = [record["ID"] for record in request.body]
    assert rewritten[True] == ["2", "2", "3.0", " 3", "9" * 5000, 2]
    assert rewritten[False] == ["3", "+3", "3.0", " 3", "9" * 5000, 2]


def test_a_refused_answer_teaches_new_values_but_never_replaces_one_known() -> None:
    """A record the fake refused echoes the ID it was asked (XTRA's ``ER.IR.NOFOUND``): learned,
    the vendor's 3 stood for the fake's 3, in place of its 2. A batch refused in part still
    teaches the IDs of the records it inserted."""
    translation = Translation((Generated("records.*.Item1", carried_by=("body.*.ID",)),))
    translation.learn({"records": [{"Item1": 3}]}, {"records": [{"Item1": 2}]})
    refused = {"records": [{"Item1": 3}, {"Item1": 9}]}, {"records": [{"Item1": 3}, {"Item1": 7}]}
    translation.learn(*refused, refused=True)
    assert translation.values["body.*.ID"] == {("int", 3): 2, ("int", 9): 7}
    translation.learn({"records": [{"Item1": 3}]}, {"records": [{"Item1": 4}]})
    assert translation.values["body.*.ID"][("int", 3)] == 4  # unrefused, the latest wins


def test_a_translation_keeps_the_latest_values_of_each_place() -> None:
    """Each login's token stayed for good: the shadow's table grew with every login of the
    day. The latest ``kept`` stay, a value learned again counting as the latest."""
    translation = Translation((Generated("TOKEN", carried_by=("query.token",)),), kept=3)
    for n in (1, 2, 3, 1, 4, 5):
        translation.learn({"TOKEN": f"up-{n}"}, {"TOKEN": f"fake-{n}"})
    kept = translation.values["query.token"]
    assert kept == {("str", "up-1"): "fake-1", ("str", "up-4"): "fake-4", ("str", "up-5"): "fake-5"}
    request = Request(query=[("token", "up-2")], headers=[])
    assert not translation.rewrite(request)  # forgotten: sent as it came


def test_a_translation_for_a_vendor_that_binds_names_in_any_case_finds_them_so() -> None:
    """XTRA binds ``{"id": 5}`` as its ``ID``: the shadow fake got the vendor's 5 as it came,
    and updated its own identity 5, not the one standing for the vendor's."""
    carried = (
        Generated("result.IRID", carried_by=("body.*.ID", "body.*.Users.*.ID", "body.*.Key")),
    )
    body = [{"id": 5, "users": [{"iD": 5}], "\u212aey": 5}, {"Id": 5, "ID": 5, "KEY": 5}]
    learned = {}
    for any_case in (True, False):
        translation = Translation(carried, any_case=any_case)
        translation.learn({"result": {"IRID": 5}}, {"result": {"IRID": 1}})
        request = Request(
            query=[], headers=[], body=orjson.loads(orjson.dumps(body)), body_json=True
        )
        translation.rewrite(request)
        assert translation.copy().any_case is any_case
        learned[any_case] = request.body
    # only ASCII names fold (.NET's ordinal comparison takes no Kelvin sign for a K)
    assert learned[True] == [
        {"id": 1, "users": [{"iD": 1}], "\u212aey": 5},
        {"Id": 1, "ID": 1, "KEY": 1},
    ]
    assert learned[False] == [
        {"id": 5, "users": [{"iD": 5}], "\u212aey": 5},
        {"Id": 5, "ID": 1, "KEY": 5},
    ]


def test_each_vendor_s_translation_reads_names_as_it_binds_them() -> None:
    """XTRA as its ``field_names_any_case`` says (default true), the others as written."""
    found = {
        name: vendor.body_names_any_case for name, vendor in create_app().state.vendors.items()
    }
    assert found == {"quoparts": False, "xtra": True, "tsdigital": False, "keepit": False}
    exact = create_app({"xtra": {"field_names_any_case": False}}).state.vendors["xtra"]
    assert exact.body_names_any_case is False


def test_every_vendor_declares_valid_generated_places() -> None:
    places = ("query.", "headers.", "body.")
    for cls in VENDOR_CLASSES:
        assert cls.generated, cls.name
        for declaration in cls.generated:
            assert all(p.startswith(places) for p in declaration.carried_by), declaration
            assert all(p == p.lower() for p in declaration.carried_by if p.startswith("headers."))


@pytest.mark.parametrize("codec", ["hex", "idna"])
def test_a_text_in_a_charset_no_text_decoding_takes_is_compared_as_utf_8(codec: str) -> None:
    """``charset=hex`` raised LookupError (no text encoding) and ``charset=idna``, decoding
    with replacements, UnicodeError: the shadow's comparison crashed on the vendor's answer."""
    first, second = (
        Answer(200, f"città {n}".encode(), f"text/plain; charset={codec}") for n in (1, 2)
    )
    found = differences(first, second, (), codes)
    assert [d.describe() for d in found] == ['body: "città 1" vs "città 2"']
