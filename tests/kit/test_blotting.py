"""Secrets blotted out by value (``mockservers.core.blotting``, ``mockservers.core.findmany``):
every spelling of every secret found in one pass, masked as a replace per spelling masked it,
and a run of secrets that overlap masked whole."""

from __future__ import annotations

import html.entities
import json
import random
import string
from collections.abc import Iterable
from contextlib import nullcontext
from unittest.mock import patch

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mockservers.core import blotting, findmany, learned
from mockservers.core.blotting import SCRUBBED_MIN_LENGTH, Memory, spellings
from mockservers.core.secretnames import MASK
from mockservers.core.unescaped import Rereading


def one_by_one(text: str, values: Iterable[str]) -> str:
    """How the kit blotted secrets out before: a replace per spelling, the longest first."""
    found = set().union(*(spellings(v) for v in values if len(v) >= SCRUBBED_MIN_LENGTH))
    for blot in sorted(found, key=len, reverse=True):
        text = text.replace(blot, MASK)
    return text


def occurrences(text: str, values: Iterable[str]) -> list[tuple[int, int]]:
    """Every place of every spelling in ``text``, those that overlap too."""
    found = set().union(*(spellings(v) for v in values if len(v) >= SCRUBBED_MIN_LENGTH))
    return sorted(
        (at, at + len(blot))
        for blot in found
        for at in range(len(text) - len(blot) + 1)
        if text.startswith(blot, at)
    )


def covered(text: str, values: Iterable[str]) -> str:
    """``text`` with each run of overlapping spellings replaced by one ``***``."""
    runs: list[list[int]] = []
    for start, end in occurrences(text, values):
        if runs and start < runs[-1][1]:
            runs[-1][1] = max(runs[-1][1], end)
        else:
            runs.append([start, end])
    kept, pieces = 0, []
    for start, end in runs:
        pieces += [text[kept:start], MASK]
        kept = end
    return "".join([*pieces, text[kept:]])


def nested(text: str, values: Iterable[str]) -> bool:
    """Whether of any two spellings found that overlap, one holds the other, and no spelling
    has a ``*`` (which a replace could find in the ``***`` of another: ``hunter*`` in
    ``hunter***``, where the text held ``hunter`` and another secret)."""
    if any("*" in spelt for value in values for spelt in spellings(value)):
        return False
    spots = occurrences(text, values)
    return all(
        b_end <= a_end or b_start == a_start
        for i, (a_start, a_end) in enumerate(spots)
        for b_start, b_end in spots[i + 1 :]
        if b_start < a_end
    )


def every_way(
    text: str, values: list[str], *, reread: bool = True, not_utf_8: bool = True
) -> set[str]:
    """``text`` blotted out by each path the kit takes (a node's strings, a body's bytes, as
    UTF-8 and, with ``not_utf_8``, as windows-1252 where it is no UTF-8, a recording's
    memory), its secrets searched for one by one and with one expression; ``reread``: and
    where its escapes undone spell them."""
    results = set()
    for at_once in (False, True):
        with (
            patch.object(findmany, "SEARCHES_PER_LETTER", 0 if at_once else 10**6),
            patch.object(blotting, "COMPILED_AFTER", 0),
            nullcontext() if reread else patch.object(Rereading, "runs", return_value=[]),
        ):
            blotting._blots_of.cache_clear()
            blotting._finder.cache_clear()
            results.add(learned.scrub({"text": text}, values)["text"])
            results.add(learned.scrub_bytes(text.encode(), values).decode())
            if not_utf_8:
                no_utf8 = learned.scrub_bytes(text.encode() + b"\xff", values)
                results.add(no_utf8.removesuffix(b"\xff").decode())
            memory = Memory()
            memory.pin(values)
            results.add(memory.scrub([text])[0])
    blotting._blots_of.cache_clear()
    blotting._finder.cache_clear()
    return results


def test_each_spelling_of_a_secret_is_blotted_out_as_before() -> None:
    """As it is, URL-encoded, HTML-escaped, JSON-escaped, and as Python's repr shows its text
    and its bytes: non-ASCII, a quote and a backslash make each spelling differ."""
    secret = 'Pässwörd"\\1'
    ways = [secret, "P%C3%A4ssw%C3%B6rd%22%5C1", 'P\\u00e4ssw\\u00f6rd\\"\\\\1']
    ways += ['Pässwörd"\\\\1', 'P\\xc3\\xa4ssw\\xc3\\xb6rd"\\\\1', "Pässwörd&quot;\\1"]
    assert spellings(secret) == set(ways)
    text = "wrong password: " + " | ".join(ways) + "."
    blotted = "wrong password: *** | *** | *** | *** | *** | ***."
    assert every_way(text, [secret]) == {blotted}
    assert one_by_one(text, [secret]) == blotted


def test_a_secret_is_spelt_as_a_page_and_a_form_echo_it() -> None:
    """A vendor's error page escapes what it echoes, as Python's ``html.escape`` does or with
    ``&#39;``, quotes alone left in its text; a form, and a redirect's query, spell a space
    ``+``. None of those spellings was searched for."""
    secret = "p&ss <w'o\"rd> 42"
    assert {
        "p&amp;ss &lt;w&#x27;o&quot;rd&gt; 42",
        "p&amp;ss &lt;w&#39;o&quot;rd&gt; 42",
        "p&amp;ss &lt;w'o\"rd&gt; 42",
        "p%26ss+%3Cw%27o%22rd%3E+42",
        "p%26ss%20%3Cw%27o%22rd%3E%2042",
    } <= spellings(secret)


@pytest.mark.parametrize(
    ("values", "text", "blotted"),
    [
        # one secret begins another: the longer goes whole, the shorter where it is alone
        (["Secret", "Secret-2024"], "Secret-2024 / Secret", "*** / ***"),
        # one holds another
        (["xxTOKEN123xx", "TOKEN123"], "[xxTOKEN123xx] [TOKEN123]", "[***] [***]"),
        # regular expressions' metacharacters are characters
        (["a.b*c+(d)[e]|^$\\"], "a.b*c+(d)[e]|^$\\ aXbbbc+de", "*** aXbbbc+de"),
        # side by side: each is masked
        (["abcdef", "ghijkl"], "abcdefghijkl", "******"),
        # the same secret twice over itself: masked from the first to the last character
        (["aaaaaa"], "aaaaaaaa b", "*** b"),
        # a secret that is only its repr's escapes in the text
        (["Città\tAPI"], "Citt\\xc3\\xa0\\tAPI", "***"),
    ],
)
def test_secrets_are_blotted_out_whole_by_every_path(
    values: list[str], text: str, blotted: str
) -> None:
    assert every_way(text, values) == {blotted}


def test_a_run_of_overlapping_secrets_is_blotted_out_whole() -> None:
    """Two secrets that overlap in a text without one holding the other: a replace per
    spelling masked the longer and left the start of the shorter in view."""
    values = ["12345678", "5678abcdefgh"]
    assert one_by_one("<12345678abcdefgh>", values) == "<1234***>"
    assert every_way("<12345678abcdefgh>", values) == {"<***>"}


@pytest.mark.parametrize("many", [False, True], ids=["one-by-one", "one-expression"])
def test_a_secret_that_overlaps_itself_in_a_long_run_is_followed_not_searched_again(
    many: bool,
) -> None:
    """A PIN-like ``000000`` beside a zero-padded field of a million zeros: looked for again
    at each character of its run, it took seconds per answer through the proxy (the work grew
    with the run times the secret's length). Now the run is followed in steps of the secret's
    period: a handful of steps, whatever the run's length."""
    texts = ("000000", *(f"0{i:07d}" for i in range(2, 41) if many))
    finder = findmany.Finder(texts)
    assert (finder._regex is not None) is many
    text = "<" + "0" * 1_000_000 + "1abab0000001ababab>"
    steps = 0
    follow = findmany.Finder._run_end

    def counted(self: findmany.Finder, searched: str, text: str, at: int) -> int:
        nonlocal steps
        steps += 1
        return follow(self, searched, text, at)

    with patch.object(findmany.Finder, "_run_end", counted):
        assert finder.replaced(text, MASK) == "<***1abab***1ababab>"
    assert steps < 100
    periodic = findmany.Finder(("abababab", "aabaabaa"))
    assert periodic.runs("xababababababy aabaabaabaa abababa") == [(1, 13), (15, 26)]


def test_a_thousand_secrets_that_each_begin_the_next_are_all_found() -> None:
    """An expression for them nests a group in a group for each: a thousand exhausted the
    stack of Python's compiler (an unplanned 500). Past ``NESTED``, they are searched for one
    by one."""
    longest = "".join(random.Random(0).choices(string.ascii_letters, k=1_005))
    values = [longest[:n] for n in range(6, 1_006)]
    text = f"<{longest}> <{longest[:500]}>"
    assert every_way(text, values) == {"<***> <***>"}


TEXT = st.lists(st.sampled_from([*"abababab", *'*.(é☃%"\\\n']), max_size=40).map("".join)
SECRET = st.builds(
    lambda letters, other, at: letters[:at] + other + letters[at:],
    st.text(alphabet="ab", min_size=6, max_size=9),
    st.sampled_from(["", "", "", "é", "%", '"', "\\", ".", "*"]),
    st.integers(0, 9),
)
"""Two letters and one other character at most: secrets that begin, hold and overlap one
another, and spellings of them that differ."""


@settings(max_examples=300, derandomize=True, database=None, deadline=None)
@given(
    values=st.lists(SECRET, max_size=4),
    text=TEXT,
    spliced=st.lists(st.tuples(st.integers(0, 3), st.integers(0, 40)), max_size=4),
)
def test_one_pass_masks_as_one_replace_per_spelling_did(
    values: list[str], text: str, spliced: list[tuple[int, int]]
) -> None:
    """On texts made of few characters, where spellings often overlap and hold one another:
    every path, one by one and at once, masks each run of the spellings a text holds, and
    that is what a replace per spelling masked wherever spellings only overlap by holding one
    another and none has a ``*``. (A text is not read again with its escapes undone here: what
    it finds there, no spelling listed has.)"""
    for which, at in spliced:  # the secrets (and their spellings) where a text quotes them
        if values:
            spelt = sorted(spellings(values[which % len(values)]))
            text = text[:at] + spelt[at % len(spelt)] + text[at:]
    assert every_way(text, values, reread=False) == {covered(text, values)}
    if nested(text, values):
        assert covered(text, values) == one_by_one(text, values)


def test_a_list_of_12_000_rows_each_with_its_secrets_is_blotted_out_whole() -> None:
    """A token and a password in every row (each masked by name in the journal), quoted
    elsewhere too: found with one expression, each spelling where it is."""
    rows = [{"token": f"tk-{n:08d}-Zq", "password": f"pw{n:06d}!x"} for n in range(12_000)]
    rows.append({"note": "wrong password pw000042!x, or pw000043%21x (URL-encoded)"})
    body = json.dumps({"data": rows}).encode()
    secrets = learned.secrets_of(response_body=body)
    assert len(secrets) == 24_000
    blotted = json.loads(learned.scrub_bytes(body, secrets))["data"]
    assert blotted[:-1] == [{"token": MASK, "password": MASK}] * 12_000
    assert blotted[-1] == {"note": "wrong password ***, or *** (URL-encoded)"}


def test_a_recording_compiles_its_expression_once_while_its_secrets_stay_the_same() -> None:
    """Many secrets remembered are found with one expression, made when the secrets change
    and only then: each entry recorded with the same secrets uses the same one."""
    compiled: list[int] = []

    def counted(texts: tuple[str, ...]) -> findmany.Finder[str]:
        compiled.append(len(texts))
        return findmany.Finder(texts)

    memory = Memory()
    memory.learn(f"token-{n:06d}" for n in range(200))
    answers = [f'{{"message": "token-{n:06d} expired", "n": {n}}}' for n in range(2_000)]
    with patch.object(blotting, "Finder", counted), patch.object(blotting, "COMPILED_AFTER", 0):
        scrubbed = [memory.scrub(json.loads(answer)) for answer in answers]
        memory.learn(["token-new-one"])
        memory.scrub({"message": "token-new-one expired"})
    assert scrubbed[199] == {"message": "*** expired", "n": 199}
    assert scrubbed[1999] == {"message": "token-001999 expired", "n": 1999}
    assert compiled == [200, 201]


def test_a_message_quoting_12_000_rows_shows_none_of_their_passwords() -> None:
    """The kit's diagnosis masks the secrets a validator's message quotes; a message quoting
    a list of 12,000 rows, each with its password, was read once per password (10 s)."""
    from contracts import Violation
    from mockservers.core.explain import diagnosis

    rows = [{"COD_CLI_ERP": f"C{n}", "PASSWORD": f"pw{n:06d}!x"} for n in range(12_000)]
    refused = Violation((), f"{rows!r} is not of type 'object'", "type", "object", rows)
    shown = diagnosis([refused])  # cut at 300 characters
    assert shown.startswith("body: [{'COD_CLI_ERP': 'C0', 'PASSWORD': ***}, {'COD_CLI_ERP': 'C1'")
    assert shown.count("'PASSWORD': ***") == 7 and "pw0" not in shown


def test_a_secret_each_encoder_escapes_its_own_way_is_blotted_out() -> None:
    """PHP's ``json_encode`` escapes ``/``, .NET's JSON ``+`` and ``'`` as ``\\u``, PHP's
    ``htmlspecialchars`` ``'`` as ``&#039;`` (HTML5 ``&apos;``) and ``htmlentities`` ``ä`` as
    ``&auml;``; ``quote`` keeps ``/``, ``encodeURIComponent`` ``'``, .NET's ``HttpUtility``
    writes ``%2f``, a form ``+`` for a space, PHP's ``urlencode`` a Latin-1 text's bytes. None
    of those spellings was searched for: base64 tokens hold ``/`` and ``+``."""
    cases = {
        "Zm9v/YmFy+cXV4LXRva2Vu": ["Zm9v\\/YmFy+cXV4LXRva2Vu", "Zm9v\\/YmFy\\u002BcXV4LXRva2Vu"],
        "it's/a+secret": [
            "it\\u0027s/a\\u002Bsecret",
            "it&#039;s/a+secret",
            "it&apos;s/a+secret",
            "it%27s/a%2Bsecret",
            "it%27s%2fa%2bsecret",
            "it's%2Fa%2Bsecret",
            "it&#039;s\\/a+secret",  # both at once: a page quoting PHP's JSON
        ],
        "pässwörd-1": ["p&auml;ssw&ouml;rd-1", "p%E4ssw%F6rd-1", "p\\u00E4ssw\\u00F6rd-1"],
        "my pass/word": ["my+pass%2fword", "my+pass%2Fword"],
    }
    for secret, spelt in cases.items():
        for text in spelt:
            assert every_way(f"<p>{text}</p>", [secret]) == {"<p>***</p>"}, text


SECRET_CHARS = "ab09/+' \"&<>%\\éà€😀"
"""Characters of a secret, among them those each encoder escapes its own way."""


def ways_of(char: str) -> list[str]:
    """Every way an encoder may write ``char``: as it is (not a character that begins an
    escape), JSON's ``\\u`` in either case (a pair beyond the BMP) and its escapes of one
    letter, percent escapes of its UTF-8 in either case, an HTML reference by number (decimal,
    with a zero, hex) and by name."""
    utf_16 = char.encode("utf-16-be")
    units = [int.from_bytes(utf_16[at : at + 2], "big") for at in range(0, len(utf_16), 2)]
    ways = [
        "".join(f"\\u{unit:04x}" for unit in units),
        "".join(f"\\u{unit:04X}" for unit in units),
    ]
    percent = "".join(f"%{byte:02X}" for byte in char.encode())
    ways += [percent, percent.lower(), f"&#{ord(char)};", f"&#0{ord(char)};", f"&#x{ord(char):x};"]
    ways += [{'"': '\\"', "\\": "\\\\", "/": "\\/"}.get(char, char)]
    if char not in "\\%&":
        ways.append(char)
    name = html.entities.codepoint2name.get(ord(char), "apos" if char == "'" else None)
    return [*ways, f"&{name};"] if name else ways


SPELT = st.lists(st.sampled_from(SECRET_CHARS), min_size=6, max_size=12).flatmap(
    lambda chars: st.tuples(
        st.just("".join(chars)),
        st.tuples(*(st.sampled_from(ways_of(char)) for char in chars)).map("".join),
    )
)


@settings(max_examples=300, derandomize=True, database=None, deadline=None)
@given(spelt=SPELT, quoted=st.booleans())
def test_a_secret_spelt_in_any_mix_of_escapes_is_blotted_out_whole(
    spelt: tuple[str, str], quoted: bool
) -> None:
    """Each character of the secret as it is or escaped in any of the ways encoders escape it,
    whatever the others' ways, and the whole maybe ``quoted`` as Python shows its UTF-8 (a
    check quoting an answer: ``\\\\/``, ``\\xc3\\xa9``): blotted out whole, escapes and all, by
    every path, at once and one by one, and nothing around it. (Read as windows-1252, a body
    holds no character beyond ASCII in UTF-8 beside escapes; that path has its own test.)"""
    secret, text = spelt
    text = f"XY:{text}:Z."
    if quoted:
        text = repr(text.encode())[2:-1]
    assert every_way(text, [secret], not_utf_8=False) == {"XY:***:Z."}


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("Password errata: pässwörd-1".encode("latin-1"), "text/plain; charset=iso-8859-1"),
        ("Password errata: pässwörd-1".encode("latin-1"), "text/plain"),  # read as cp1252
        ("Password errata: pässwörd-1".encode(), "text/plain; charset=iso-8859-1"),
        (b"Password errata: p&auml;ssw&ouml;rd-1", "text/html; charset=iso-8859-1"),
        ("Password errata: pässwörd-1".encode("utf-16"), "text/plain; charset=utf-16"),
    ],
    ids=["latin-1", "latin-1-undeclared", "utf-8-declared-latin-1", "entities", "utf-16"],
)
def test_a_secret_is_blotted_out_of_a_body_in_its_charset_or_in_utf_8(
    body: bytes, content_type: str
) -> None:
    """A Latin-1 body was searched for the secret's UTF-8 only, and shown with replacement
    characters for what it held (``p�ssw�rd-1``); a body declaring Latin-1 but in UTF-8 was
    read as ``pÃ¤sswÃ¶rd-1``, the secret's UTF-8 never searched for there."""
    blotted = learned.scrub_bytes(body, ["pässwörd-1"], content_type)
    charset = "utf-16" if "utf-16" in content_type else "latin-1"
    assert blotted.decode(charset) == "Password errata: ***"


@pytest.mark.parametrize("charset", ["utf-16", "utf-16-be"])
def test_a_secret_in_utf_8_declared_utf_16_is_blotted_out(charset: str) -> None:
    """Read in the UTF-16 it declared, a UTF-8 echo of a password was mojibake, searched for
    the password in vain, and kept whole (the UTF-8 was only read where that charset could not
    read the body)."""
    body = "Password errata: pässwörd-1!".encode()
    assert body.decode(charset)  # a text in it too: an even length, no lone surrogate
    content_type = f"text/plain; charset={charset}"
    assert learned.scrub_bytes(body, ["pässwörd-1"], content_type) == b"Password errata: ***!"
    unchanged = "Password errata: pässwörd-1".encode(charset)
    assert learned.scrub_bytes(unchanged, ["other-secret"], content_type) is unchanged


def test_secrets_in_a_latin_1_body_and_in_utf_8_that_overlap_are_blotted_out_as_one() -> None:
    """Each found in its own reading of the body (its text in Latin-1, its bytes for UTF-8):
    blotted out one after the other, the second would no longer be found whole."""
    body = b"[abcdef" + "àèì]".encode()
    assert (
        learned.scrub_bytes(body, ["abcdef", "defàèì"], "text/plain; charset=latin-1") == b"[***]"
    )


def test_escapes_that_stand_for_no_character_of_a_secret_are_not_read_again() -> None:
    """PHP escapes the slash of every date: an answer of 12,000 rows was read again (a second
    pass over all of it) though no secret held a slash. With one that does, the rows are read
    again in one stretch, not one by one."""
    rows = [{"token": f"tk-{n:08d}-Zq", "date": "01/02/2024"} for n in range(12_000)]
    body = json.dumps({"data": rows}).encode().replace(b"/", b"\\/")
    read = blotting.Blots._runs
    for secrets, times in ((["tk-00000042-Zq"], 0), (["tk-00000042-Zq", "2024/tk-1"], 1)):
        with patch.object(blotting.Blots, "_runs", autospec=True, side_effect=read) as reading:
            blotted = learned.scrub_bytes(body, secrets)
        assert reading.call_count == times
        assert blotted.count(MASK.encode()) == 1 and b"tk-00000042-Zq" not in blotted
