"""The 4WS.KeepIT situations a connector can meet (seed 002 and VENDORS.md), for coverage.

Each description quotes the line of the document it comes from (in its language), or the kit's
decision where the document is silent. The code marks each one with ``met(...)`` where it
decides it; ``BEHAVIOURS`` is the catalogue ``GET /__admin/coverage`` reports. The outcome of a
call (its ``code``) and the outcome of each record are situations of their own: a 206 holds
records inserted beside records refused for a reason.
"""

from __future__ import annotations

from mockservers.core.coverage import Behaviour

SUCCESS = Behaviour("keepit.success", "code 200: everything went well")
DUPLICATES = Behaviour(
    "keepit.duplicates",
    "code 204: you are trying to insert an existing customer, so it is a duplicate "
    "(Attenzione: esistono uno o più doppioni, inserimento/update non eseguito.)",
)
PARTIAL = Behaviour("keepit.partial", "code 206: some customers have been inserted other not")
REFUSED = Behaviour(
    "keepit.refused",
    "code 400: something in the JSON request is wrong (Errore: non è stato eseguito "
    "l'inserimento/update)",
)
UNAUTHORIZED = Behaviour(
    "keepit.unauthorized",
    "HTTP 401: headers username, password, companyId, siteId missing or wrong",
)
ALIAS_NOT_FOUND = Behaviour("keepit.alias_not_found", "API not found: No alias found for '...'")
UNIQUE_CONSTRAINT = Behaviour("keepit.unique_constraint", "422: Unique constraint error")
RATE_LIMITED = Behaviour(
    "keepit.rate_limited",
    "There's a limit of 100 calls for this API (HTTP 429 with Retry-After)",
)
SERVER_ERROR = Behaviour("keepit.server_error", "code 500: generic error server")
INSERTED = Behaviour("keepit.inserted", "I → if you want to perform an INSERT (insertedObjects)")
UPDATED = Behaviour(
    "keepit.updated",
    "U → if you want to perform an UPDATE (in this case, the progId field in the subjects "
    "object is required)",
)
RECORD_NOT_FOUND = Behaviour(
    "keepit.record_not_found",
    "Record not found: Nessun record trovato per:... (an update of an unknown progId)",
)
MANDATORY_FIELD = Behaviour(
    "keepit.mandatory_field",
    "Mandatory field not found in the JSON request: Errore: xxx non valorizzato. "
    "(or a field of the wrong type)",
)
DUPLICATE_RECORD = Behaviour(
    "keepit.duplicate_record",
    "duplicatedObjects: list of the customer duplicate in 4WS.KeepIT (The customer already "
    "exists.)",
)
NOT_IN_MAPPINGS = Behaviour(
    "keepit.not_in_mappings",
    "Customer code value not found in the mappings array: Il customer code non è specificato "
    "nell'array mappings.",
)
MAPPING_CODE_TAKEN = Behaviour(
    "keepit.mapping_code_taken",
    "if a code is already used for the same external system but for a different customer, "
    "4WS.KeepIT will return an error and will not proceed with the insertion",
)
MAPPING_CODE_DISCARDED = Behaviour(
    "keepit.mapping_code_discarded",
    "In UPDATE of an existing customer, all the non existing codes will be inserted, whereas "
    "the ones already existing will be discarded",
)

BEHAVIOURS = (
    SUCCESS,
    DUPLICATES,
    PARTIAL,
    REFUSED,
    UNAUTHORIZED,
    ALIAS_NOT_FOUND,
    UNIQUE_CONSTRAINT,
    RATE_LIMITED,
    SERVER_ERROR,
    INSERTED,
    UPDATED,
    RECORD_NOT_FOUND,
    MANDATORY_FIELD,
    DUPLICATE_RECORD,
    NOT_IN_MAPPINGS,
    MAPPING_CODE_TAKEN,
    MAPPING_CODE_DISCARDED,
)
