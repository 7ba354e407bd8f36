"""QuoParts state and rules, free of HTTP: accounts, tokens, customers, quotes."""

from __future__ import annotations

import secrets
import zlib
from collections.abc import Mapping
from itertools import islice
from operator import itemgetter
from typing import Any

from mockservers.core.coverage import met
from mockservers.core.kit import Kit
from mockservers.core.records import SENT, kit_fields, set_apart
from mockservers.core.sessions import in_scope
from mockservers.core.state import StateError, TenantState, VendorState, highest_id
from mockservers.core.tokens import TokenStore
from mockservers.core.vendor import VendorModel
from mockservers.quoparts import coverage
from mockservers.quoparts.errors import QuoPartsError, quote_failed
from mockservers.quoparts.settings import QuoPartsSettings

CUSTOMERS = "customers"  # keyed by COD_CLI_ERP, as the integrator sends it
QUOTES = "quotes"  # keyed by COD_DOC
SEQUENCE_NAMES = ("COD_CLI", "COD_DOC")  # the customers' codes, the quotes' numbers
_ERP_CODE = itemgetter("COD_CLI_ERP")
_CODE_FIELDS = ("COD_CLI", "COD_USR", "COD_PWD")
CUSTOMER_FIELDS = kit_fields(*_CODE_FIELDS)
"""The fields the kit adds to a customer: a row's field of one of these names is kept under
``sent``, out of the way of the kit's code."""
QUOTE_FIELDS = kit_fields("COD_DOC", "COD_CLI", "COD_CLI_ERP", "created_at")
"""The fields the kit adds to a quote, beside what ``data`` gives: one of ``data``'s of these
names is kept under ``sent``."""
_STORED_CODES = itemgetter(*_CODE_FIELDS)
_PASSWORD_BITS = 0xFFFFFF  # the salt's bits; the passwords of the first 2^24 customers: hex
_HEX_NUMBERS = 16**6
_PASSWORDS = 36**6  # COD_PWD is six upper-case letters or digits
_MULTIPLIER = 0x3779B1  # odd, and coprime to 36^6 - 16^6 = 2^12 * 5 * 7 * 13 * 19 * 61
_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_ACCEPTED = {
    "errorCode": "0",
    "error": "",
    "COD_CLI_ERP": "",
    "COD_CLI": "",
    "COD_USR": "",
    "COD_PWD": "",
}
"""The answer row of an imported customer, copied and filled in per row: a copy clones the key
table in one go, where a dict display builds one key by key."""


def quoparts_token() -> str:
    """A token shaped like the seed's example ``40919716769452007349723.39576135``."""
    return f"{secrets.randbelow(10**23):023d}.{secrets.randbelow(10**8):08d}"


def password_salt(tenant: str) -> int:
    """The account's salt of the generated passwords (:func:`new_codes`): its low 24 bits."""
    return zlib.crc32(tenant.encode()) & _PASSWORD_BITS


Codes = tuple[str, str, str]
"""A customer's COD_CLI, COD_USR and COD_PWD."""


def new_codes(salt: int, first: int, count: int) -> list[Codes]:
    """The codes of ``count`` new customers numbered from ``first`` on: the number zero-padded
    (``000015``, ``M00015``) and a password of six upper-case letters or digits from the
    number and the account's salt, the same for the same customer and different for any two
    whose numbers differ by less than 36^6 (a bijection of the numbers 0 to 36^6 - 1 on the
    36^6 passwords; a number past them has the password of its remainder).

    Customers 0 to 2^24 - 1 (every account's, unless a state document sets its sequence
    further) take the six hex digits of ``(number * 0x3779B1 ^ salt) & 0xFFFFFF``, a
    bijection on 24 bits (small-integer arithmetic); the later ones, the passwords holding a
    letter past F (:func:`_past_hex`). One loop for the whole import: no call per customer
    below 2^24.
    """
    codes = []
    for number in range(first, first + count):
        digits = str(number)
        if number < _HEX_NUMBERS:
            password = "%06X" % (number * _MULTIPLIER & _PASSWORD_BITS ^ salt)
        else:
            password = _later_password(salt, number)
        codes.append((digits.zfill(6), "M" + digits.zfill(5), password))
    return codes


def _later_password(salt: int, number: int) -> str:
    """The password of a customer numbered 2^24 or later (:func:`new_codes`)."""
    rest = number % _PASSWORDS
    if rest < _HEX_NUMBERS:
        return new_codes(salt, rest, 1)[0][2]
    # an affine map mod the count of _past_hex's passwords: the multiplier is coprime to it
    return _past_hex((rest - _HEX_NUMBERS) * _MULTIPLIER + salt)


def _past_hex(rank: int) -> str:
    """The password of ``rank`` (mod their count) among those holding a letter past F,
    grouped by the place of the first of them: ``place`` hex digits, that letter, then any
    letters or digits."""
    rank %= _PASSWORDS - _HEX_NUMBERS
    for place in range(6):
        tail = 36 ** (5 - place)
        group = 16**place * 20 * tail
        if rank < group:
            break
        rank -= group
    head, rest = divmod(rank, tail)
    hex_digits, letter = divmod(head, 20)
    text = f"{hex_digits:0{place}X}" if place else ""
    text += _ALPHABET[16 + letter]
    for _ in range(5 - place):
        rest, digit = divmod(rest, 36)
        text += _ALPHABET[digit]
    return text


def codes_by_row(
    customers: Mapping[str, dict[str, Any]], erps: list[str], salt: int, first: int
) -> list[Codes]:
    """Each row's codes, by its COD_CLI_ERP: a stored customer keeps its own (read once, however
    many rows name it: each read parses the whole customer); the others get new ones from
    ``first`` on, in the order they first appear (a code met twice, once)."""
    distinct = dict.fromkeys(erps)
    fresh = [erp for erp in distinct if erp not in customers]
    made = dict(zip(fresh, new_codes(salt, first, len(fresh)), strict=True))
    codes = {erp: made[erp] if erp in made else _STORED_CODES(customers[erp]) for erp in distinct}
    return [codes[erp] for erp in erps]


class _CodeIndex:
    """COD_CLI -> COD_CLI_ERP for one account, brought up to date when a quote asks.

    Customers are never deleted and a new one goes to the end of its collection (dicts keep
    insertion order), so those added since the last look-up are the collection's tail: imports
    pay nothing for the index, and a look-up indexes only what is new.
    """

    def __init__(self) -> None:
        self.erp_by_code: dict[str, str] = {}
        self.indexed = 0

    def erp_for(self, customers: Mapping[str, dict[str, Any]], cod_cli: str) -> str | None:
        new = len(customers) - self.indexed
        if new:
            for erp in reversed(list(islice(reversed(customers), new))):
                self.erp_by_code[customers[erp]["COD_CLI"]] = erp
            self.indexed = len(customers)
        return self.erp_by_code.get(cod_cli)


class QuoPartsModel(VendorModel):
    follows_puts = False  # the code index catches up with new customers by itself

    def __init__(self, settings: QuoPartsSettings, kit: Kit, state: VendorState) -> None:
        self.settings = settings
        self.kit = kit
        self.clock = kit.clock
        self.state = state
        self.credentials = settings.credentials()
        self.tokens = TokenStore(kit.clock, quoparts_token, kit.store, "tokens:quoparts")
        self._code_indexes: dict[str, _CodeIndex] = {}

    # -- accounts and tokens ----------------------------------------------------------------
    def token_refused(self, detail: str) -> QuoPartsError:
        """A token missing, unknown or expired: 101 "Utente non Accreditato", or as configured."""
        settings = self.settings
        return QuoPartsError(settings.auth_error_code, settings.auth_error_message, detail=detail)

    def password_of(self, username: str) -> str | None:
        """The password of a configured account, or of a live session's account."""
        if username in self.credentials:
            return self.credentials[username]
        account = self.kit.sessions.account("quoparts", username, username=username)
        return account["password"] if account is not None else None

    def login(self, username: str, password: str) -> str:
        expected = self.password_of(username)
        if expected is None or not secrets.compare_digest(expected.encode(), password.encode()):
            met(coverage.LOGIN_REFUSED)
            settings = self.settings
            raise QuoPartsError(
                settings.login_error_code,
                settings.login_error_message,
                detail="wrong username or password",
            )
        met(coverage.LOGIN_OK)
        return self.tokens.issue(username, self.settings.token_ttl_seconds).value

    def tenant_for(self, token: str | None) -> TenantState:
        tenant, _, verdict = self.tokens.check(token)
        if tenant is None:
            expired = verdict == "expired"
            met(coverage.TOKEN_EXPIRED if expired else coverage.TOKEN_INVALID)
            raise self.token_refused(f"the token is {verdict}")
        return self.state.tenant(tenant)

    def reset(self, scope: str | None) -> None:
        self.tokens.drop(scope)
        self._code_indexes = {n: i for n, i in self._code_indexes.items() if not in_scope(n, scope)}

    def rebuild_indexes(self) -> None:
        self._code_indexes = {}  # rebuilt from the loaded customers on the next look-up

    def on_drop(self, tenant: str) -> None:
        # New customers join the end of the collection, where the index catches up by itself;
        # a dropped or reloaded tenant is indexed afresh on its next look-up.
        self._code_indexes.pop(tenant, None)

    def check_state(self, document: Any) -> None:
        """Refuse customers the rules could not use: each an object keyed by its COD_CLI_ERP,
        with its codes as text; each quote an object."""
        tenants = document.get("tenants") if isinstance(document, dict) else None
        for name, tenant in (tenants if isinstance(tenants, dict) else {}).items():
            customers = tenant.get(CUSTOMERS) if isinstance(tenant, dict) else None
            for key, customer in (customers if isinstance(customers, dict) else {}).items():
                if not (
                    isinstance(customer, dict)
                    and customer.get("COD_CLI_ERP") == key
                    and all(isinstance(customer.get(code), str) for code in _CODE_FIELDS)
                ):
                    raise StateError(
                        f"tenant {name!r}: customer {key!r} must be an object with its "
                        f"COD_CLI_ERP as key and {', '.join(_CODE_FIELDS)} as text"
                    )
            quotes = tenant.get(QUOTES) if isinstance(tenant, dict) else None
            for key, quote in (quotes if isinstance(quotes, dict) else {}).items():
                if not isinstance(quote, dict):
                    raise StateError(f"tenant {name!r}: quote {key!r} must be an object")

    def held_sequences(self, tenant: TenantState) -> dict[str, int]:
        """The customers' COD_CLI and the quotes' keys (COD_DOC)."""
        customers = tenant.collections[CUSTOMERS].values()
        return {
            "COD_CLI": highest_id(c.get("COD_CLI") for c in customers if isinstance(c, dict)),
            "COD_DOC": highest_id(tenant.collections[QUOTES]),
        }

    # -- importCli --------------------------------------------------------------------------
    def upsert_customers(
        self, tenant: TenantState, rows: list[dict[str, Any]], plain: bool = False
    ) -> list[dict[str, Any]]:
        """Insert each row, or update the customer with the same COD_CLI_ERP keeping its codes;
        the answer rows, in order.

        Each row (freshly parsed from the request) becomes the stored record; a code sent twice
        in one call is one customer, stored as its last row. This is the per-row loop of a bulk
        import: the codes are settled for all rows first, so the loop only writes them. Rows of
        a ``plain`` body (``quoparts/plain.py``) hold only the documented fields: none of them
        is looked at for a field named like the kit's to set apart.
        """
        customers = tenant.collections[CUSTOMERS]
        records = {row["COD_CLI_ERP"]: row for row in rows}
        new = len(records) - len(records.keys() & customers.keys())
        first = tenant.reserve("COD_CLI", new)
        if new:
            met(coverage.IMPORT_CLI_INSERTED)
        if len(rows) > new:  # every other row updates a customer (stored, or earlier in the call)
            met(coverage.IMPORT_CLI_UPDATED)
        salt = password_salt(tenant.name)
        if new == len(rows):  # the usual bulk import: every row a new customer
            codes = new_codes(salt, first, new)
        else:
            codes = codes_by_row(customers, list(map(_ERP_CODE, rows)), salt, first)
        answers = []
        for row, (cod_cli, cod_usr, cod_pwd) in zip(rows, codes, strict=True):
            if not plain and (
                "COD_CLI" in row or "COD_USR" in row or "COD_PWD" in row or SENT in row
            ):
                set_apart(row, CUSTOMER_FIELDS)  # its names, each looked up: twice as fast
            if "FLG_ATV" not in row:
                row["FLG_ATV"] = "1"
            answer = _ACCEPTED.copy()
            answer["COD_CLI_ERP"] = row["COD_CLI_ERP"]
            answer["COD_CLI"] = row["COD_CLI"] = cod_cli
            answer["COD_USR"] = row["COD_USR"] = cod_usr
            answer["COD_PWD"] = row["COD_PWD"] = cod_pwd
            answers.append(answer)
        tenant.put_many(CUSTOMERS, records)
        return answers

    # -- importPvt --------------------------------------------------------------------------
    def find_customer(self, tenant: TenantState, header: dict[str, Any]) -> dict[str, Any]:
        """COD_CLI is looked up first (seed: 'utilizza prioritariamente COD_CLI'); COD_CLI_ERP
        when COD_CLI is not given, or finds no customer and ``cod_cli_erp_fallback`` is on. A
        code sent as "" or null counts as not given."""
        cod_cli, erp = header.get("COD_CLI"), header.get("COD_CLI_ERP")
        customer, looked_up = None, []
        if cod_cli:
            index = self._code_indexes.setdefault(tenant.name, _CodeIndex())
            found = index.erp_for(tenant.collections[CUSTOMERS], cod_cli)
            customer = tenant.get(CUSTOMERS, found) if found is not None else None
            looked_up.append(f"COD_CLI {cod_cli}")
        if customer is None and erp and (not cod_cli or self.settings.cod_cli_erp_fallback):
            customer = tenant.get(CUSTOMERS, erp)
            looked_up.append(f"COD_CLI_ERP {erp}")
            if customer is not None and cod_cli:
                met(coverage.QUOTE_CUSTOMER_BY_ERP_FALLBACK)
        if customer is None:
            met(coverage.QUOTE_CUSTOMER_NOT_FOUND)
            detail = "no customer with " + " nor ".join(looked_up)
            if cod_cli and erp and not self.settings.cod_cli_erp_fallback:
                detail += " (COD_CLI_ERP not looked up: cod_cli_erp_fallback is off)"
            raise quote_failed(detail)
        return customer

    def create_quote(self, tenant: TenantState, data: dict[str, Any]) -> str:
        """Store the quote ``data`` gives (its ``testata``, ``articoli`` and any field the
        document does not list), beside the kit's own fields; its COD_DOC."""
        customer = self.find_customer(tenant, data["testata"])
        cod_doc = f"{tenant.next('COD_DOC'):06d}"
        record = {
            "COD_DOC": cod_doc,
            "COD_CLI": customer["COD_CLI"],
            "COD_CLI_ERP": customer["COD_CLI_ERP"],
            "created_at": self.clock.isoformat(),
        }
        record.update(set_apart(dict(data), QUOTE_FIELDS))  # a copy: the body is the call's
        tenant.put(QUOTES, cod_doc, record)
        met(coverage.QUOTE_CREATED)
        return cod_doc
