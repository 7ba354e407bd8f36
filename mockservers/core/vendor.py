"""The vendor base class: what a vendor package provides, a ``Vendor`` subclass with its routes
(as data, ``core/route.py``), a settings dataclass, its model (a ``VendorModel``: state and
rules), its state collections and how it renders the kit's errors. The base builds the model,
loads and dumps state, and runs every call through the request pipeline (``core/pipeline.py``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any, ClassVar

from starlette.responses import Response

from mockservers.core.adminapi import AdminRoute
from mockservers.core.call import Call
from mockservers.core.coverage import Behaviour
from mockservers.core.errors import KitError
from mockservers.core.faults import CORE_KINDS, FaultKind
from mockservers.core.generated import Generated
from mockservers.core.kit import Kit
from mockservers.core.listed import Listed
from mockservers.core.pipeline import Pipeline
from mockservers.core.route import VendorRoute
from mockservers.core.settings import settings_from
from mockservers.core.state import Look, TenantState, VendorState, check_sequence_names
from mockservers.core.tokens import TokenStore
from mockservers.core.verify import Note, code_list, refusals

log = logging.getLogger("mockservers")
CLASHES_SHOWN = 5
"""Values held twice a warning names at most (then how many more)."""


class VendorModel:
    """Base of a vendor's state and rules (its ``models.py``), built from (settings, kit,
    state). The hooks do nothing unless a model has something to do."""

    tokens: TokenStore | None = None
    follows_puts: ClassVar[bool] = True
    """Whether ``on_change`` hears of every record another process puts (each one parsed for
    it); False for a model whose indexes catch up by themselves, told only of tenants dropped
    (``on_drop``)."""

    def reset(self, scope: str | None) -> None:
        """One scope back to start, once the vendor has emptied its tenants: tokens, windows
        and derived indexes of that scope gone, its fixtures (demo or session accounts) back."""

    def rebuild_indexes(self) -> None:
        """Rebuild derived indexes from the state (after a state load or a full catch-up)."""

    def on_change(self, tenant: str, collection: str, key: str, old: Any, new: Any) -> None:
        """Another process wrote this record: keep derived indexes in step."""

    def on_drop(self, tenant: str) -> None:
        """Another process dropped this tenant (a reset, or a load replacing it): forget what
        the indexes hold of it."""

    def check_state(self, document: Any) -> None:
        """Refuse (``StateError``) a state document the rules could not use, before anything is
        replaced."""

    def check_given(self, document: Any) -> None:
        """Refuse (``StateError``) what a state document a user gives (``PUT /__admin/state``)
        may not hold, though state an earlier version kept may, and loads (``lenient``). What
        it takes it may write in place as the kit writes it (the document is the call's own)."""

    def lenient(self, document: Any) -> list[str]:
        """What of a kept state document (a state file at start) ``check_given`` would refuse,
        and the rules read their own way all the same, one line for each (logged)."""
        return []

    def clashes(self, tenants: Iterable[str]) -> list[str]:
        """What of the values the vendor keeps unique these tenants hold twice or more (only a
        state document, or a state an earlier version kept, can), one line for each, naming
        its holders: look-ups find the last of them in the records' order
        (``core/unique.py``)."""
        return []

    def held_sequences(self, tenant: TenantState) -> dict[str, int]:
        """The highest value of each sequence the records of a loaded tenant hold (its
        sequences are raised to them). Records may be malformed here: skip what is not an ID."""
        return {}


class Vendor(Pipeline):
    """Base of the four fakes. Subclasses set the class attributes and implement the hooks.

    ``settings_class`` is the dataclass of the vendor's config table and ``model_class`` its
    model; the base builds both, resets the model with the state, expires its tokens and has it
    rebuild its indexes after a state load.
    """

    name: ClassVar[str]
    title: ClassVar[str]
    routes: ClassVar[tuple[VendorRoute, ...]]
    operations: ClassVar[tuple[str, ...]]
    """Derived from ``routes``."""
    paths_any_case: ClassVar[bool] = False
    """Whether a call's path reaches a route whatever the case of the route's segments, and
    with one trailing slash, as ASP.NET Core routes (XTRA); else only as the route writes it."""
    json_charsets: ClassVar[bool] = False
    """Whether a body is read as ASP.NET Core's JSON input reads it (XTRA): a UTF-8 BOM
    skipped, a UTF-16 its ``Content-Type`` declares decoded; else its bytes are parsed as
    sent."""
    body_numbers_from_text: ClassVar[bool] = False
    """Whether the vendor's binders read a body's number from text (``"ID": "5"`` is the ID 5,
    as ASP.NET's do: XTRA): a shadow's or a replay's translation gives the second service its
    own value, as text, where a body carries the first's so
    (``Translation(..., numbers_from_text=...)``); else ``"5"`` is no ID and goes as it came."""
    collections: ClassVar[tuple[str, ...]]
    sequences: ClassVar[tuple[str, ...]]
    """The names of the per-tenant sequences the model takes IDs from: a state document a
    user puts may set no other."""
    settings_class: ClassVar[type[Any]]
    model_class: ClassVar[Callable[..., VendorModel]]
    vendor_fault_kinds: ClassVar[tuple[FaultKind, ...]] = ()
    """The vendor's own fault kinds: accepted by the admin API, taken by the vendor's endpoints
    through ``call.take_fault(kind)`` when they apply."""
    behaviours: ClassVar[tuple[Behaviour, ...]] = ()
    """The catalogue of the vendor's documented situations (coverage)."""
    done_codes: ClassVar[frozenset[str]] = frozenset()
    """The codes in an answer (``answer_codes``) that say the call was done in full (QuoParts
    errorCode 0, KeepIT code 200); any other is a refusal of the call or of part of it."""
    generated: ClassVar[tuple[Generated, ...]] = ()
    """The values the vendor makes up in its answers (IDs, codes, tokens, timestamps) and the
    places a request sends them back: never compared by a proxy's shadow or a replay, and
    translated for the second service (``mockservers.core.generated``)."""
    listed_records: ClassVar[Listed | None] = None
    """Where the vendor's batch answer lists its records, a service accepting or refusing each
    one by one, and how two answers' entries pair: a shadow or a replay learns generated values
    only from the records both accepted. None: no answer lists records so (a refused QuoParts
    row has no ``COD_CLI`` to learn)."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "routes" in cls.__dict__:
            cls.operations = tuple(op for route in cls.routes for op in route.operations)

    def __init__(self, kit: Kit, section: dict[str, Any] | None = None) -> None:
        self.kit = kit
        self.clock = kit.clock
        self.state = VendorState(self.name, self.collections)
        self.state.record = kit.store.recorder()
        kit.store.register(self.state)
        self.configure(section or {})
        self.state.on_change = self.model.on_change
        self.state.follows_puts = self.model.follows_puts
        self.state.on_drop = self.model.on_drop
        self.state.on_reload = self._reloaded
        self._clashes_told: list[str] = []
        self.state.held_sequences = self.model.held_sequences

    @property
    def fault_kinds(self) -> dict[str, FaultKind]:
        """Every kind of fault the vendor takes, by name: the core ones and its own."""
        return {kind.name: kind for kind in (*CORE_KINDS, *self.vendor_fault_kinds)}

    # -- hooks for subclasses -------------------------------------------------------------
    def configure(self, section: dict[str, Any]) -> None:
        """Read the vendor's config table (``ConfigError`` for a bad one) and build the model."""
        self.settings = settings_from(self.settings_class, section, self.name)
        self.model = self.model_class(self.settings, self.kit, self.state)

    def reset(self, scope: str | None = None) -> None:
        """One scope's state, tokens and windows back to start (its fixtures included)."""
        self.state.reset(scope)
        self.model.reset(scope)

    def expire_tokens(self, scope: str | None = None) -> int:
        tokens = self.model.tokens
        return tokens.expire(scope) if tokens is not None else 0

    def catch_up(self, scope: str | None) -> None:
        """Bring state that time changes up to the clock of ``scope`` (``EVERY``: each scope on
        its own clock) before someone reads it: a state dump, a coverage report."""

    def dump_state(self, scope: str | None = None) -> dict[str, Any]:
        self.catch_up(scope)
        return self.state.dump(scope)

    def look_state(self, scope: str | None, newest: int) -> Look:
        """``dump_state`` as a person looks at it: each collection's count and newest records."""
        self.catch_up(scope)
        return self.state.look(scope, newest)

    def load_state(self, document: Any, scope: str | None = None, *, source: str) -> None:
        """Replace one scope's state (a state file at start; ``put_state``'s document); a document
        the model refuses changes nothing. One it takes that holds a value the vendor keeps
        unique twice is logged, naming ``source`` (where the document came from)."""
        self.model.check_state(document)
        self.state.load(document, scope)
        self.model.rebuild_indexes()
        for line in self.model.lenient(document):
            log.warning("%s: %s: %s", self.name, source, line)
        self._warn_clashes(source, self.model.clashes(self.state.scope_tenants(scope)))

    def put_state(self, document: Any, scope: str | None = None) -> None:
        """``load_state`` for a document a user gives (``PUT /__admin/state``): a sequence the
        vendor does not use is refused too, and what ``check_given`` refuses, where state an
        earlier version kept loads as is."""
        check_sequence_names(document, self.sequences, self.name)
        self.model.check_given(document)
        self.load_state(document, scope, source=f"PUT /__admin/state/{self.name}")

    def _reloaded(self) -> None:
        """The whole state was read back from the shared store: indexes rebuilt, clashes told
        once (a process reloads on every reset or load another one makes: the same clashes
        are not logged again each time)."""
        self.model.rebuild_indexes()
        found = self.model.clashes(self.state.tenants)
        if found != self._clashes_told:
            self._clashes_told = found
            self._warn_clashes(f"the state read back from {self.kit.store.describe()}", found)

    def _warn_clashes(self, source: str, found: list[str]) -> None:
        if not found:
            return
        shown = "; ".join(found[:CLASHES_SHOWN])
        if len(found) > CLASHES_SHOWN:
            shown += f"; and {len(found) - CLASHES_SHOWN} more"
        log.warning(
            "%s: %s gives values the vendor keeps unique to more than one record (a state"
            " document, or an earlier version of the kit, wrote them); a look-up finds the last"
            " one named, the last in the records' order: %s",
            self.name,
            source,
            shown,
        )

    def tenant_of(self, call: Call) -> str | None:
        """The tenant a call addresses, read from its credentials without checking them: whose
        call it is (its session, its journal entry)."""
        return None

    def session_credentials(self, prefix: str) -> dict[str, Any]:
        """Fresh credentials of a new session's account on this vendor; every identifier starts
        with ``prefix`` (``ms-<session id>``)."""
        raise NotImplementedError

    def render_error(self, error: KitError, operation: str) -> Response:
        """Render a kit-level error (bad JSON, too large, injected status, bug) the vendor's way."""
        raise NotImplementedError

    @classmethod
    def demo_lines(cls, settings: Any) -> list[str]:
        """What ``mockservers serve`` prints about this vendor's demo credentials."""
        return []

    @classmethod
    def demo_lines_for(cls, section: dict[str, Any] | None) -> list[str]:
        """The banner lines for this vendor's config table (no app needed)."""
        return cls.demo_lines(settings_from(cls.settings_class, section, cls.name))

    def admin_routes(self) -> list[AdminRoute]:
        """Vendor-specific admin endpoints under ``/__admin/<vendor>/``."""
        return []

    def answer_notes(self, response: Any) -> list[Note]:
        """The vendor's codes in an answer body, in order, each with the message beside it. By
        default the top-level ``errorCode`` or ``code`` and its ``error`` or ``message``, where
        most vendors put them; a vendor with codes elsewhere says so."""
        if not isinstance(response, dict):
            return []
        message = response.get("error") or response.get("message")
        found = (response.get(name) for name in ("errorCode", "code"))
        return [(value, message) for value in found if value is not None][:1]

    def answer_codes(self, response: Any) -> list[str]:
        """The vendor's codes in an answer body, as text, each once (for ``error_code`` in a
        matcher, and a shadow's or a replay's ``error code``)."""
        return code_list(code for code, _ in self.answer_notes(response))

    def answer_refusals(self, response: Any) -> list[dict[str, str | None]]:
        """``[{"code", "message"}]``: the codes in an answer body that say the vendor refused the
        call or part of it (all but ``done_codes``), each once with its message: what a failed
        assertion shows beside a call answered HTTP 200 all the same."""
        return refusals(self.answer_notes(response), self.done_codes)

    @property
    def body_names_any_case(self) -> bool:
        """Whether the vendor binds a request body's names in any case, as an ASP.NET vendor
        does: where a shadow's or a replay's translation finds the places a body carries a
        generated value in (``Translation(..., any_case=...)``)."""
        return False

    def adopt_credentials(self, headers: Mapping[str, str], status: int) -> None:
        """A shadow fake (behind ``mockservers proxy --shadow``) is about to answer a call whose
        credentials may have been issued elsewhere, by the vendor's identity service rather
        than by a login the shadow also saw: make them what the vendor found them, judging by
        its answer (``status``). ``headers`` by lower-case name. Most vendors need nothing
        (accounts come from the config, tokens from logins)."""

    @classmethod
    def demo_credentials(cls) -> dict[str, Any]:
        """The demo account's credentials, named as ``mockservers fuzz`` takes them
        (``username``, ``password``, ``public_key``, ``secret_key``, ``company_id``,
        ``site_id``): what a replay sends where a recording shows a masked secret."""
        return {}


def vendor_of(vendors: Mapping[str, Vendor], path: str) -> Vendor | None:
    """The vendor whose prefix ``path`` is under (``/keepit/...``), or None."""
    return vendors.get(path.split("/", 2)[1]) if path.startswith("/") else None  # "*"
