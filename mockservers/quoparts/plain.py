"""importCli's usual body read with one walk of its rows instead of two.

Every body is held to the kit's depth limit (``Call.json``) and to the contract: two walks of
jsonschema-rs over every row, for a 100-row import about 260,000 and 380,000 instructions. A
body whose rows hold only the documented fields (the contract's rows, closed) nests exactly
three levels deep (object, array, rows of text), so one walk of that closed shape answers both;
any other body (an extra field, a refused row, not an object) is read as before.
"""

from __future__ import annotations

from typing import Any

import orjson

from contracts.closed import closed_validator
from mockservers.core.call import Call
from mockservers.core.http import too_deep

PLAIN_DEPTH = 3
"""How deep a plain body nests: the object, its ``data`` array, the rows (their fields text)."""

_PLAIN = closed_validator("quoparts/importCli.request")


def read_import(call: Call) -> tuple[Any, bool]:
    """The body as ``call.json()`` reads it, and whether it is plain: then it is within the
    depth limit and passes the contract, both known from one walk. A body that is not JSON or
    nests too deep gets ``call.json()``'s own refusal."""
    try:
        body = orjson.loads(call.json_bytes)
    except orjson.JSONDecodeError:
        return call.json(), False  # refuses a malformed body; reads one past doubles' range
    limit = call.kit.max_json_depth
    if limit >= PLAIN_DEPTH and _PLAIN.is_valid(body):
        return body, True
    if too_deep(body, limit):
        call.json()  # raises the kit's refusal of a body nested too deep
    return body, False
