"""Reading one config table into a settings dataclass: shared by the kit and every vendor."""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from collections.abc import Mapping
from datetime import datetime
from typing import Any, TypeVar

from contracts import Violation, contract
from mockservers.core.adminapi import MAX_SECONDS
from mockservers.core.clock import TICK

T = TypeVar("T")


class ConfigError(ValueError):
    """A config file the kit refuses, with a message naming the key."""


def settings_from(cls: type[T], section: Any, table: str) -> T:
    """Build a settings dataclass from its TOML table; unknown keys and values of the wrong
    type are refused (at start, naming the key: not as a 500 on every call later)."""
    if section is None:
        section = {}
    if not isinstance(section, dict):
        raise ConfigError(f"[{table}]: a table is expected, not {as_written(section)}")
    names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    unknown = set(section) - names
    if unknown:
        raise ConfigError(f"[{table}]: unknown keys {sorted(unknown)}; known: {sorted(names)}")
    check_types(cls, section, table)
    try:
        return cls(**section)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"[{table}]: {exc}") from exc


def check_types(cls: type, values: dict[str, Any], table: str) -> None:
    """Each value against its field's annotation (:func:`check_value`)."""
    hints = typing.get_type_hints(cls)
    for key, value in values.items():
        check_value(value, hints[key], f"[{table}] {key}")


def check_value(value: Any, expected: Any, where: str) -> None:
    """A value as TOML gives it against a type: an integer where a number is expected is a
    number, ``true`` is not an integer, a list stands for a tuple."""
    if not _fits(value, expected):
        raise ConfigError(f"{where}: {_describe(expected)} is expected, not {as_written(value)}")


def check_lifetime(seconds: Any, name: str = "token_ttl_seconds", *, zero: bool = False) -> None:
    """A token lifetime, a delay or a window: a number of seconds of at least the clock's
    microsecond (a token dead when issued tests nothing, a window shorter than the clock moves
    limits nothing; ``zero``: 0 allowed) and at most 100 years, the bound of the admin API's
    own (``ValueError`` naming it). Longer ones (``inf``, valid TOML) would write dates past
    the year 9999, or make a number of seconds no integer can hold."""
    number = isinstance(seconds, int | float) and not isinstance(seconds, bool)
    lowest = 0 if zero else TICK
    if not number or not lowest <= seconds <= MAX_SECONDS:
        least = "0 or more" if zero else "of at least 0.000001 (the kit's clock's microsecond)"
        raise ValueError(f"{name} must be a number of seconds {least}, at most {MAX_SECONDS:.0f}")


def check_header_value(value: str, where: str, what: str, header: str) -> None:
    """Refuse a value a call sends in the ``header`` header that no header can carry as it is
    (``ConfigError`` naming ``where`` and ``what``, never the value: a token, a password). HTTP
    strips the whitespace around a header's value, so a value read with its file's trailing
    newline was refused to every caller, for ever; and no header can carry a control
    character."""
    if value != value.strip():
        raise ConfigError(
            f"{where}: {what} has leading or trailing whitespace (a file's trailing newline?),"
            f" which HTTP strips from the {header} header: no call could match it"
        )
    if any(char < " " or char == "\x7f" for char in value):
        raise ConfigError(
            f"{where}: {what} holds a control character, which no {header} header can carry:"
            " no call could match it"
        )


def check_accounts(
    accounts: list[Any],
    keys: Mapping[str, str],
    unique: tuple[str, ...],
    numbers: tuple[str, ...] = (),
    *,
    login: str,
    headers: bool = False,
) -> None:
    """Each account a table of exactly ``keys``, each a string (or an integer, those of
    ``numbers``) that the contract ``login`` admits in the field ``keys`` maps it to (a value
    no call may send, an empty password, would make an account that never logs in; with
    ``headers``, each field a header: :func:`check_header_value`), and no two with the same
    ``unique`` values (the second would silently replace the first's password); ``ValueError``
    naming the key, never its value (a password). ``username = true`` was taken as the login
    "True"."""
    seen: set[tuple[str, ...]] = set()
    for account in accounts:
        if not isinstance(account, dict) or not set(keys) <= set(account):
            raise ValueError(f"each of accounts needs {', '.join(keys)}")
        unknown = set(account) - set(keys)
        if unknown:
            raise ValueError(f"accounts: unknown keys {sorted(unknown)}")
        for key in keys:
            expected = str | int if key in numbers else str
            if not _fits(account[key], expected):
                wrong = _kind(account[key])
                raise ValueError(f"accounts: {key}: {_describe(expected)} is expected, not {wrong}")
        identity = tuple(str(account[key]) for key in unique)
        _check_sent(account, keys, login, _named(unique, identity))
        if headers:
            where = f"accounts: the account with {_named(unique, identity)}"
            for key, header in keys.items():
                check_header_value(str(account[key]), where, f"its {key}", header)
        if identity in seen:
            raise ValueError(f"accounts: two accounts with {_named(unique, identity)}")
        seen.add(identity)


def _named(keys: tuple[str, ...], values: tuple[str, ...]) -> str:
    return ", ".join(f"{key} {value!r}" for key, value in zip(keys, values, strict=True))


def _check_sent(account: dict[str, Any], keys: Mapping[str, str], login: str, named: str) -> None:
    """The account's values as a call sends them (an integer as its digits), against the
    contract of that call: the first value it refuses, named by its key."""
    fields = {field: key for key, field in keys.items()}
    sent = {field: str(account[key]) for key, field in keys.items()}
    for violation in contract(login).check(sent):  # a field only the call gives: not ours
        if violation.path and violation.path[0] in fields:
            key = fields[str(violation.path[0])]
            raise ValueError(
                f"accounts: the account with {named}: {key}: {_wanted(violation)} is expected,"
                f" as {login} says: no call could send it"
            )


def _wanted(violation: Violation) -> str:
    """What the contract asks of a value, in words that do not show the value."""
    if violation.keyword == "minLength" and violation.expected == 1:
        return "a non-empty string"
    return f"a value its {violation.keyword} {as_written(violation.expected)} admits"


_SIMPLE: dict[Any, tuple[type, ...]] = {
    str: (str,),
    int: (int,),
    float: (int, float),
    bool: (bool,),
    datetime: (datetime,),
    list: (list,),
    tuple: (list, tuple),
    dict: (dict,),
}


def _fits(value: Any, expected: Any) -> bool:
    if expected is Any:
        return True
    if isinstance(expected, types.UnionType) or typing.get_origin(expected) is typing.Union:
        return any(_fits(value, option) for option in typing.get_args(expected))
    if expected is type(None):
        return value is None
    accepted = _SIMPLE.get(typing.get_origin(expected) or expected)
    if accepted is None:  # a type this check does not know: the dataclass checks it
        return True
    if isinstance(value, bool) and bool not in accepted:
        return False  # a TOML true is no count of seconds
    return isinstance(value, accepted)


def _describe(expected: Any) -> str:
    if isinstance(expected, types.UnionType) or typing.get_origin(expected) is typing.Union:
        options = [option for option in typing.get_args(expected) if option is not type(None)]
        return " or ".join(_describe(option) for option in options)  # TOML has no null
    origin = typing.get_origin(expected) or expected
    return {
        str: "a string",
        int: "an integer",
        float: "a number",
        bool: "true or false",
        datetime: "a date-time",
        list: "a list",
        tuple: "a list",
        dict: "a table",
    }.get(origin, str(expected))


_KINDS = {bool: "a boolean", int: "an integer", float: "a number", dict: "a table", list: "a list"}


def _kind(value: Any) -> str:
    """A value's type as TOML calls it, for a message that must not show the value."""
    return _KINDS.get(type(value), f"a {type(value).__name__}")  # a date, a datetime


def as_written(value: Any) -> str:
    """A value as the config file spells it (TOML's strings and booleans are JSON's)."""
    try:
        return json.dumps(value, ensure_ascii=False)
    except TypeError:
        return str(value)
