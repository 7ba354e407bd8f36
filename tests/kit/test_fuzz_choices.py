"""Each plug-in's per-case choices take their options in the shares its docs promise, even when
Hypothesis draws its simplest value every time (``fuzz.choices``).

Hypothesis draws 0, ``False`` or a list's first element far more often than anything else (82
of 100 draws of a TS Digital run): drawn alone, a choice leaned to its first option. Here every
draw is the simplest, the worst case, over cases that differ: each option must still get about
its share. The measured shares of real runs are in docs/fuzzing.md.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import find, given, settings
from hypothesis import strategies as st
from schemathesis import Case

from fuzz.choices import Choices
from fuzz.plugins import VendorPlugin
from fuzz.plugins.keepit import Plugin as KeepIt
from fuzz.plugins.quoparts import Plugin as QuoParts
from fuzz.plugins.tsdigital import Plugin as TsDigital
from fuzz.plugins.xtra import Plugin as Xtra
from fuzz.schema import api_operations

CONTACT = {"EMail": "a@b.it", "Surname": "Rossi", "Name": "Anna", "WebReasonID": 13}
"""An XTRA record the contact-form context accepts (the plain one does not)."""
IRID = 59990

_found: dict[str, Any] = {}


def simplest(strategy: Any) -> Any:
    """What Hypothesis shrinks ``strategy`` to: 0 for a choice, ``"0"`` for a wrong password, a
    fixed UUID (found once per strategy: finding a filtered text takes 0.2 s)."""
    described = repr(strategy)
    if described not in _found:
        _found[described] = find(strategy, lambda _: True)
    return _found[described]


def shares(
    plugin: VendorPlugin, cases: list[Case], outcome: Callable[[Case], list[str]]
) -> Counter[str]:
    """The ``outcome`` of each case once the plug-in prepared it with the simplest draws."""
    seen: Counter[str] = Counter()
    for case in cases:
        plugin.prepare(case, simplest)
        seen.update(outcome(case))
    return seen


def about(seen: Counter[str], share: float, count: int, *names: str) -> None:
    """Each of ``names`` came out in ``share`` of ``count`` cases, give or take a third."""
    for name in names:
        assert share * count * 2 / 3 <= seen[name] <= share * count * 4 / 3, (name, seen)


def test_keepit_keeps_the_generated_credentials_and_probes_one_case_in_eight_each() -> None:
    """Drawn with integers(0, 7) alone, 0 kept the generated credentials: a run spent 11 of its
    30 positive cases on 401s. The cases differ in their generated headers alone, as the cases
    of a run repeating a body do: the checksum read no headers, and sent every such case the
    same way."""
    operation = api_operations("keepit")["insertClient_v3"]
    body = {"subjectsRecords": [{"subjects": {"customerCode": "C1"}}]}
    cases = [
        operation.Case(headers={"username": f"someone{number}", "password": "x"}, body=body)
        for number in range(800)
    ]

    def outcome(case: Case) -> list[str]:
        username, password = case.headers["username"], case.headers["password"]
        own = username == "demo"
        return ["own" if own and password == "demo" else "probe" if own else "kept"]

    about(shares(KeepIt.demo(), cases, outcome), 1 / 8, 800, "kept", "probe")


def test_quoparts_logins_are_its_own_a_wrong_password_or_the_generated_a_third_each() -> None:
    """Drawn alone, the simplest draw made every login the account's own: no wrong password,
    no generated login reached the fake (in real runs QuoParts's draw did not lean)."""
    operation = api_operations("quoparts")["login"]
    cases = [
        operation.Case(query={"login": "", "username": f"user{number}", "password": "x"})
        for number in range(300)
    ]

    def outcome(case: Case) -> list[str]:
        username, password = case.query["username"], case.query["password"]
        if username != "demo":
            return ["generated"]
        return ["own" if password == "demo" else "wrong password"]

    seen = shares(QuoParts.demo(), cases, outcome)
    about(seen, 1 / 3, 300, "own", "wrong password", "generated")


def test_xtra_logs_in_with_its_own_login_half_of_the_time() -> None:
    operation = api_operations("xtra")["login"]
    cases = [
        operation.Case(body={"Username": f"user{number}", "Password": "x"}) for number in range(200)
    ]

    def outcome(case: Case) -> list[str]:
        return ["own" if case.body == {"Username": "demo", "Password": "demo"} else "generated"]

    about(shares(Xtra.demo(), cases, outcome), 1 / 2, 200, "own", "generated")


def xtra_with_a_session(token: str = "a-token") -> Xtra:
    """XTRA's demo plug-in with a key pair and a login's session, as after ``authenticate``."""
    plugin = Xtra.demo()
    plugin.note_login({"Token": token, "IRID": IRID, "UserID": 1})
    return plugin


def xtra_updates(count: int) -> list[Case]:
    """irs/update cases of one contact-form record each, no query."""
    operation = api_operations("xtra")["updateIdentities"]
    return [
        operation.Case(headers={}, query={}, body=[{**CONTACT, "Name": f"Anna{n}"}])
        for n in range(count)
    ]


def xtra_outcome(case: Case) -> list[str]:
    """The credentials sent, whether a token case's record was aimed at the token's identity,
    and whether the context was set."""
    token = "AccessToken" in case.headers
    seen = ["token" if token else "keys"]
    if token:
        seen.append("aimed" if case.body[0].get("ID") == IRID else "not aimed")
    seen.append("context set" if case.query.get("contactForm") == "true" else "context left")
    return seen


def test_xtra_sends_the_key_pair_or_the_token_aims_and_sets_the_context_half_of_the_time() -> None:
    """Drawn alone, every update sent the key pair, none was aimed at the token's identity and
    none was put in its context."""
    seen = shares(xtra_with_a_session(), xtra_updates(400), xtra_outcome)
    about(seen, 1 / 2, 400, "keys", "token", "context set", "context left")
    about(seen, 1 / 2, seen["token"], "aimed", "not aimed")


def test_xtra_makes_the_same_choices_for_a_case_whatever_token_its_login_got() -> None:
    """A login's AccessToken is new each run: the choices made once it is in a case must not
    move with it, or a seed would not repeat its run."""

    def each(case: Case) -> list[str]:
        return [f"{case.body[0]['Name']}: {', '.join(xtra_outcome(case))}"]

    runs = [
        shares(xtra_with_a_session(token), xtra_updates(100), each)
        for token in ("first-run", "next-run")
    ]
    assert runs[0] == runs[1]
    made = " ".join(runs[0])
    assert all(choice in made for choice in ("not aimed", "aimed", "context set", "context left"))


def test_tsdigital_sends_each_minted_token_in_a_quarter_of_the_cases() -> None:
    """Drawn alone, the first minted token (an app-key allowed everything) went with 64 to 79
    of 100 positive cases, the plain user's with 4 to 19. The cases differ in their generated
    headers alone, as the cases of a run repeating a body do: the checksum read no headers,
    and sent every such case the same way."""
    plugin = TsDigital.demo()
    plugin.tokens = {f"token-{number}": None for number in range(4)}
    operation = api_operations("tsdigital")["createItem"]
    cases = [
        operation.Case(headers={"X-Request-ID": f"request-{n}"}, body={"name": "item"})
        for n in range(400)
    ]

    def outcome(case: Case) -> list[str]:
        return [case.headers["Authorization"]]

    seen = shares(plugin, cases, outcome)
    about(seen, 1 / 4, 400, *(f"Bearer token-{number}" for number in range(4)))


def test_a_failure_met_through_a_choice_is_replayed_and_shrunk() -> None:
    """The choice is the same each time Hypothesis replays a case, so that a failure it depends
    on is shrunk and reported (the simplest case, its draw moved), not called flaky."""
    operation = api_operations("tsdigital")["createItem"]
    tried: list[int] = []

    @settings(max_examples=200, derandomize=True, database=None)
    @given(number=st.integers(0, 10**6), data=st.data())
    def chooses(number: int, data: st.DataObject) -> None:
        tried.append(number)
        case = operation.Case(body={"name": f"item{number}"})
        assert Choices(data.draw, case).one_of("abcd") != "d"

    with pytest.raises(AssertionError):
        chooses()
    assert max(tried) > 0 and tried[-1] == 0  # the failure reported is the shrunk one
