"""The QuoParts situations a connector can meet (seed 003 and VENDORS.md), for coverage.

Each description quotes the line of the document it comes from (in its language), or the kit's
decision where the document is silent. The code marks each one with ``met(...)`` where it
decides it; ``BEHAVIOURS`` is the catalogue ``GET /__admin/coverage`` reports.
"""

from __future__ import annotations

from mockservers.core.coverage import Behaviour

LOGIN_OK = Behaviour(
    "quoparts.login_ok",
    "Login: autenticarsi al sistema QuoParts e ottenere un token necessario per le chiamate "
    "successive (errorCode 0, data[].TOKEN)",
)
LOGIN_REFUSED = Behaviour(
    "quoparts.login_refused",
    'Login con credenziali errate: errorCode "101", "Utente non Accreditato"',
)
TOKEN_EXPIRED = Behaviour(
    "quoparts.token_expired",
    "In caso di token scaduto, è necessario effettuare nuovamente il login "
    '(errorCode "101", "Utente non Accreditato")',
)
TOKEN_INVALID = Behaviour(
    "quoparts.token_invalid",
    "token mancante o sconosciuto (non ottenuto tramite API Login): "
    'errorCode "101", "Utente non Accreditato"',
)
UNKNOWN_METHOD = Behaviour(
    "quoparts.unknown_method",
    'Nessun nome metodo (login, importCli, importPvt) nella query: errorCode "100", '
    '"Richiesta errata"',
)
LOGIN_BAD_REQUEST = Behaviour(
    "quoparts.login_bad_request",
    'Login senza username o password (parametri obbligatori): errorCode "100", "Richiesta errata"',
)
IMPORT_CLI_INSERTED = Behaviour(
    "quoparts.import_cli_inserted",
    "Import Clienti: trasmettere anagrafiche cliente e generare le relative credenziali "
    "(COD_CLI, COD_USR, COD_PWD generati)",
)
IMPORT_CLI_UPDATED = Behaviour(
    "quoparts.import_cli_updated",
    "Import Clienti di un COD_CLI_ERP già trasmesso: Codice Cliente QuoParts "
    "generato/associato (stessi COD_CLI, COD_USR, COD_PWD)",
)
IMPORT_CLI_ROW_ERROR = Behaviour(
    "quoparts.import_cli_row_error",
    "data[].errorCode: Codice errore creazione cliente (una riga rifiutata, le altre importate)",
)
IMPORT_CLI_REFUSED = Behaviour(
    "quoparts.import_cli_refused",
    'Import Clienti, Esempio Risposta (Errore): errorCode "100", "Richiesta errata", data vuoto',
)
QUOTE_CREATED = Behaviour(
    "quoparts.quote_created",
    "Import Preventivi: data[].COD_DOC, Codice Documento/Preventivo QuoParts generato",
)
QUOTE_CUSTOMER_NOT_FOUND = Behaviour(
    "quoparts.quote_customer_not_found",
    'Import Preventivi, Esempio Risposta (Errore): errorCode "107", "Errore durante la '
    'creazione del preventivo" (cliente COD_CLI/COD_CLI_ERP inesistente)',
)
QUOTE_CUSTOMER_BY_ERP_FALLBACK = Behaviour(
    "quoparts.quote_customer_by_erp_fallback",
    "Import Preventivi con COD_CLI e COD_CLI_ERP entrambi valorizzati: il sistema utilizza "
    "prioritariamente COD_CLI; nessun cliente con quel COD_CLI, il cliente di COD_CLI_ERP "
    "(decisione del kit, cod_cli_erp_fallback)",
)
QUOTE_REFUSED = Behaviour(
    "quoparts.quote_refused",
    "Import Preventivi errato: almeno uno tra COD_CLI e COD_CLI_ERP, l'array articoli con "
    "almeno un elemento, campi numerici in formato numerico "
    '(errorCode "100", "Richiesta errata")',
)

BEHAVIOURS = (
    LOGIN_OK,
    LOGIN_REFUSED,
    LOGIN_BAD_REQUEST,
    TOKEN_EXPIRED,
    TOKEN_INVALID,
    UNKNOWN_METHOD,
    IMPORT_CLI_INSERTED,
    IMPORT_CLI_UPDATED,
    IMPORT_CLI_ROW_ERROR,
    IMPORT_CLI_REFUSED,
    QUOTE_CREATED,
    QUOTE_CUSTOMER_BY_ERP_FALLBACK,
    QUOTE_CUSTOMER_NOT_FOUND,
    QUOTE_REFUSED,
)
