"""The reason phrases of the statuses the kit answers, fixed whatever Python runs it.

``http.HTTPStatus`` follows the RFC of its release: Python 3.13 took RFC 9110's names
("Content Too Large" for 413, "Unprocessable Content" for 422); 3.11 and 3.12 have RFC 7231's,
but RFC 2616's for 413, 414 and 416 ("Request Entity Too Large", "Request-URI Too Long",
"Requested Range Not Satisfiable"). An error body that carries the phrase (TS Digital's
``status``, the ``error`` of QuoParts and KeepIT) must not change with the interpreter, so
every error status a fault may inject (400-599) is spelled here, as Python 3.11's table spells
it: the status line uvicorn writes on the kit's Python (the Dockerfile's 3.11) says the same,
for uvicorn takes its phrases from ``HTTPStatus``.
"""

from __future__ import annotations

from http import HTTPStatus

PHRASES: dict[int, str] = {
    400: "Bad Request",
    401: "Unauthorized",
    402: "Payment Required",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    406: "Not Acceptable",
    407: "Proxy Authentication Required",
    408: "Request Timeout",
    409: "Conflict",
    410: "Gone",
    411: "Length Required",
    412: "Precondition Failed",
    413: "Request Entity Too Large",
    414: "Request-URI Too Long",
    415: "Unsupported Media Type",
    416: "Requested Range Not Satisfiable",
    417: "Expectation Failed",
    418: "I'm a Teapot",
    421: "Misdirected Request",
    422: "Unprocessable Entity",
    423: "Locked",
    424: "Failed Dependency",
    425: "Too Early",
    426: "Upgrade Required",
    428: "Precondition Required",
    429: "Too Many Requests",
    431: "Request Header Fields Too Large",
    451: "Unavailable For Legal Reasons",
    500: "Internal Server Error",
    501: "Not Implemented",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
    505: "HTTP Version Not Supported",
    506: "Variant Also Negotiates",
    507: "Insufficient Storage",
    508: "Loop Detected",
    510: "Not Extended",
    511: "Network Authentication Required",
}


def status_phrase(status: int, unknown: str = "Error") -> str:
    """The reason phrase of ``status`` ("Bad Gateway"): the table's, else Python's for a code
    outside it (a success), else ``unknown`` for a code without one."""
    phrase = PHRASES.get(status)
    if phrase is not None:
        return phrase
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return unknown
