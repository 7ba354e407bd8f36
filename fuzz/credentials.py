"""What an oracle knows about the credentials in a request, and what it does not.

An oracle is given one set of credentials (the plug-in's). Credentials it was not given may
still be good: another account of a shared sandbox, the fake's demo account that Schemathesis
draws from a contract's ``examples``, a user the run itself created. So it may insist on a
refusal only where it *knows* the credentials are wrong: its own account named with another
secret, since an account has one secret. Everything else is :attr:`Known.UNKNOWN`, and the
oracle then allows both the success and the refusal.
"""

from __future__ import annotations

import string
from collections.abc import Callable, Mapping, Sequence
from enum import Enum
from typing import Any

from hypothesis import strategies as st


class Known(Enum):
    RIGHT = "the plug-in's own credentials"
    WRONG = "the plug-in's account with another secret"
    UNKNOWN = "credentials the plug-in was not given"


def judge(
    sent: Mapping[str, Any],
    given: Mapping[str, str] | None,
    account: Sequence[str] | None,
) -> Known:
    """Compare the credential fields ``sent`` with the ``given`` ones (``None``: the plug-in was
    given none of this kind). ``account``: the fields that name an account (a username, a public
    key); ``None`` where they do not single one out (an XTRA login without keys looks the user up
    in every account), so that no other credentials are ever known to be wrong."""
    if given is None:
        return Known.UNKNOWN
    chosen = {name: sent.get(name) for name in given}
    if chosen == dict(given):
        return Known.RIGHT
    if account is not None and all(chosen[name] == given[name] for name in account):
        return Known.WRONG
    return Known.UNKNOWN


_ALPHABET = string.ascii_letters + string.digits


def other_secret(draw: Callable[[Any], Any], ours: str) -> str:
    """A secret that is not ``ours`` (plain ASCII: it travels in queries and headers), for the
    plug-ins' probes of their own account with a wrong secret, the one refusal an oracle knows."""
    drawn: str = draw(st.text(_ALPHABET, min_size=1, max_size=12).filter(lambda s: s != ours))
    return drawn
