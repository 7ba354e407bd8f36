"""The admin API under ``/__admin`` (WireMock's convention): health, reset, state, journal,
verification, clock, faults, tokens, sessions, coverage. JSON in, JSON out; a refused call
answers 400/404 with ``{"error"}``.

Every call addresses one scope: the global one, or a session (``?session=ID``, or ``"session"``
in the body but on a count, whose body is a matcher; two sessions named are a 400). The calls on
the sessions themselves (open one, list or drop them all) refuse a session. Writes act on that
scope only, so a global reset never touches a session; reads of the journal, the faults and
coverage without ``session`` see the whole kit. Each call runs as one transaction of the kit's
store, like a vendor call.
"""

from mockservers.admin.base import ADMIN_HEADERS
from mockservers.admin.routes import Admin

__all__ = ["ADMIN_HEADERS", "Admin"]
