"""The admin endpoints on a vendor's state: read whole or as the dashboard's look at it, and
replaced."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from contracts import load_schema
from mockservers.admin.base import AdminBase
from mockservers.core.adminapi import AdminCall, AdminError
from mockservers.core.http import JSONResponse
from mockservers.core.secrets import mask_value
from mockservers.core.state import StateError


class StateEndpoints(AdminBase):
    """``/__admin/state/{vendor}``: GET and PUT."""

    def get_state(self, call: AdminCall) -> Any:
        """The whole state; with ``?newest=N``, a look at it (the dashboard's), answered only
        when it changed since the ``If-None-Match`` given: a 304 costs neither the kit nor
        the page a record read again, where the panel fetched megabytes every second."""
        vendor = self.vendor(call.path["vendor"])
        newest = call.query.get("newest")
        if newest is None:
            return vendor.dump_state(call.scope)
        look = vendor.look_state(call.scope, _newest(newest))
        tag = {"etag": f'"{look.version()}"'}
        if tag["etag"] in _tags(call.headers.get("if-none-match", "")):
            return Response(status_code=304, headers=tag)
        return JSONResponse(look.document(mask_value), headers=tag)

    def put_state(self, call: AdminCall) -> Any:
        vendor = self.vendor(call.path["vendor"])
        document = call.body
        if isinstance(document, dict):  # another shape: the vendor's state error says which
            call.object_body(contract="admin/defs/state")  # a key beside "tenants" is named
            document = {k: v for k, v in document.items() if k != "session"}
        try:
            vendor.put_state(document, call.scope)
        except StateError as exc:
            raise AdminError(400, str(exc)) from None
        return vendor.dump_state(call.scope)


MAX_NEWEST: int = load_schema("admin/getState.query")["properties"]["newest"]["maximum"]
"""The most records of a collection a look at the state shows (its contract's bound)."""


def _newest(text: str) -> int:
    """A look's ``newest``: a whole number from 0 to ``MAX_NEWEST``."""
    digits = text.lstrip("0") or "0"
    short = len(digits) <= len(str(MAX_NEWEST))  # int() of 5,000 digits is refused
    if not (text.isascii() and text.isdigit() and short and int(digits) <= MAX_NEWEST):
        raise AdminError(400, f"newest must be a whole number from 0 to {MAX_NEWEST}")
    return int(digits)


def _tags(header: str) -> set[str]:
    """The entity tags an ``If-None-Match`` names (weak ones compared as strong: a look's tag
    is never weak)."""
    return {tag.strip().removeprefix("W/") for tag in header.split(",")}
