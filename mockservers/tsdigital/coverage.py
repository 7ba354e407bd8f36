"""The TS Digital situations a connector can meet (seed 001 and VENDORS.md), for coverage.

Each description quotes the line of the document it comes from (in its language). The code
marks each one with ``met(...)`` where it decides it; ``BEHAVIOURS`` is the catalogue
``GET /__admin/coverage`` reports.

``processing_failed`` is decided by time, not by a call: an accepted item settles FAILED when
the clock of its scope reaches its ready time, and the kit notices lazily. It counts once per
item, in the scope of the item's tenant (so in its session): on the journal entry of the call
that settled it (the tenant's next createItem) or, when a state or coverage read settled it,
straight in that scope's counters (admin calls have no journal entry).
"""

from __future__ import annotations

from mockservers.core.coverage import Behaviour

ACCEPTED = Behaviour(
    "tsdigital.accepted",
    "HTTP 202: l'operazione è avvenuta con successo e il processo di creazione è stato preso "
    'in carico (body {"id"})',
)
ACCEPTED_VALIDATED = Behaviour(
    "tsdigital.accepted_validated",
    "validated: se true, l'item viene creato in stato VALIDATED",
)
ACCEPTED_CERTIFIED = Behaviour(
    "tsdigital.accepted_certified",
    "certified: se true, l'item viene creato in stato CERTIFIED",
)
PROCESSING_FAILED = Behaviour(
    "tsdigital.processing_failed",
    "202 e poi il processo di creazione preso in carico termina in errore (item FAILED)",
)
TOKEN_MISSING = Behaviour(
    "tsdigital.token_missing",
    "HTTP 401: il token autorizzativo non è stato specificato",
)
TOKEN_INVALID = Behaviour(
    "tsdigital.token_invalid",
    "HTTP 401: il token autorizzativo è invalido",
)
TOKEN_EXPIRED = Behaviour(
    "tsdigital.token_expired",
    "HTTP 401: il token autorizzativo è scaduto",
)
STANDARD_HEADERS = Behaviour(
    "tsdigital.standard_headers",
    "HTTP 400: gli header richiesti dalla chiamata sono gli header standard di TSDigital "
    "(X-App-Name, X-App-Version, X-Request-ID)",
)
CONTENT_TYPE = Behaviour(
    "tsdigital.content_type",
    "HTTP 400: il Content-Type deve essere application/json",
)
INVALID_BODY = Behaviour(
    "tsdigital.invalid_body",
    "HTTP 400: uno o più parametri forniti nella richiesta sono errati, o mancano dei "
    "parametri obbligatori",
)
OWNER_IDS_WITH_NO_OWNERSHIP = Behaviour(
    "tsdigital.owner_ids_with_no_ownership",
    "HTTP 400: ownerIds non può essere combinato con noOwnership=true",
)
CERTIFIED_WITHOUT_VALIDATED = Behaviour(
    "tsdigital.certified_without_validated",
    "HTTP 400: certified=true, è necessario specificare anche validated=true",
)
APP_KEY_CANNOT_CREATE = Behaviour(
    "tsdigital.app_key_cannot_create",
    "HTTP 403: una chiave tecnica applicativa non ha il permesso di creare nuovi item a meno "
    "che non sia esplicitamente richiesto",
)
SPECIAL_ROLES = Behaviour(
    "tsdigital.special_roles",
    "HTTP 403: noOwnership, validated e certified sono utilizzabili solo da chiavi tecniche "
    "applicative con ruoli speciali",
)
OWNER_IDS_BACKOFFICE = Behaviour(
    "tsdigital.owner_ids_backoffice",
    "HTTP 403: ownerIds, questo campo è utilizzabile solo da backoffice",
)
STUDIO_DENIED = Behaviour(
    "tsdigital.studio_denied",
    "HTTP 403: non è possibile creare un item per conto di uno studio per il quale non si "
    "hanno permessi di scrittura",
)
SERVER_ERROR = Behaviour(
    "tsdigital.server_error",
    "HTTP 500: il server ha riscontrato un errore inaspettato nell'esecuzione della richiesta "
    "di creazione item",
)
BAD_GATEWAY = Behaviour(
    "tsdigital.bad_gateway",
    "HTTP 502: il server ha riscontrato un errore inaspettato nel comunicare con un servizio "
    "dal quale dipende (ad esempio, il servizio di auth non risulta essere disponibile)",
)

BEHAVIOURS = (
    ACCEPTED,
    ACCEPTED_VALIDATED,
    ACCEPTED_CERTIFIED,
    PROCESSING_FAILED,
    TOKEN_MISSING,
    TOKEN_INVALID,
    TOKEN_EXPIRED,
    STANDARD_HEADERS,
    CONTENT_TYPE,
    INVALID_BODY,
    OWNER_IDS_WITH_NO_OWNERSHIP,
    CERTIFIED_WITHOUT_VALIDATED,
    APP_KEY_CANNOT_CREATE,
    SPECIAL_ROLES,
    OWNER_IDS_BACKOFFICE,
    STUDIO_DENIED,
    SERVER_ERROR,
    BAD_GATEWAY,
)

SERVER_FAULTS = {500: SERVER_ERROR, 502: BAD_GATEWAY}
"""An injected (or unplanned) status -> the documented situation it shows the connector."""
