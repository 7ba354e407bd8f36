"""An OpenAPI document as one HTML page for people: ``/<vendor>/docs`` and ``/__admin/docs``.

Rendered on the server from the very document served beside it (operations, parameters,
security, request and response schemas, examples, the ``x-`` notes), with its style inline and no
script: the page works offline and asks nothing of any other host (``CSP`` says so to the
browser as well). Schemas are shown as the document holds them, each ``$ref`` a link to the
schema it names further down the page.
"""

from __future__ import annotations

import html
import json
import re
from typing import Any

CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"
"""What the page may load: nothing but its own inline style."""

_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_NOTES = ("x-assumption", "x-contact-form", "x-operations")
_STYLE = """
body{font:15px/1.5 system-ui,sans-serif;max-width:70rem;margin:2rem auto;padding:0 1rem;color:#222}
code,pre{font:13px/1.4 ui-monospace,monospace}pre{background:#f6f6f6;padding:.6rem;overflow:auto}
table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #ccc;padding:.2rem .5rem;
vertical-align:top;text-align:left}.method{font-weight:bold;text-transform:uppercase}
section{border-top:1px solid #ddd;margin-top:1.5rem}details{margin:.3rem 0}.note{color:#555}
"""
_REF = re.compile(r"&quot;#/components/schemas/([A-Za-z0-9_.\-]+)((?:/[^&]*)?)&quot;")


def render(document: dict[str, Any], document_url: str = "openapi.json") -> str:
    """The page for ``document``; ``document_url`` is where the JSON itself is served."""
    info = document.get("info", {})
    title = str(info.get("title", "API"))
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(title)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{_e(title)}</h1>",
        f"<p>Version {_e(info.get('version', ''))} · OpenAPI {_e(document.get('openapi', ''))}"
        f' · the document: <a href="{_e(document_url)}">{_e(document_url)}</a></p>',
        _paragraphs(info.get("description", "")),
        _servers(document),
        _security_schemes(document),
        _contents(document),
    ]
    for path, method, operation in _operations(document):
        parts.append(_operation(document, path, method, operation))
    parts.append(_schemas(document))
    parts.append("</body></html>")
    return "\n".join(p for p in parts if p)


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _paragraphs(text: str) -> str:
    return "".join(f"<p>{_e(p)}</p>" for p in str(text).split("\n\n") if p.strip())


def _json(value: Any) -> str:
    """Pretty JSON, escaped, with each schema ``$ref`` a link to that schema on the page."""
    text = _e(json.dumps(value, indent=2, ensure_ascii=False))
    return f"<pre>{_REF.sub(_ref_link, text)}</pre>"


def _ref_link(match: re.Match[str]) -> str:
    return f'<a href="#schema-{match.group(1)}">{match.group(0)}</a>'


def _resolve(document: dict[str, Any], node: Any) -> Any:
    """A ``#/components/...`` reference (a shared response or parameter) replaced by its value."""
    ref = node.get("$ref") if isinstance(node, dict) else None
    if not isinstance(ref, str) or not ref.startswith("#/components/"):
        return node
    found: Any = document
    for part in ref[2:].split("/"):
        found = found.get(part, {})
    return found


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    found = []
    for path, item in document.get("paths", {}).items():
        for method in _METHODS:
            if isinstance(item.get(method), dict):
                found.append((path, method, item[method]))
    return found


def _servers(document: dict[str, Any]) -> str:
    rows = "".join(
        f"<li><code>{_e(s.get('url', ''))}</code> {_e(s.get('description', ''))}</li>"
        for s in document.get("servers", [])
    )
    return f"<h2>Base URL</h2><ul>{rows}</ul>" if rows else ""


def _security_schemes(document: dict[str, Any]) -> str:
    schemes = document.get("components", {}).get("securitySchemes", {})
    if not schemes:
        return ""
    rows = []
    for name, scheme in schemes.items():
        where = (
            f"{scheme.get('in', '')} <code>{_e(scheme.get('name', ''))}</code>"
            if scheme.get("type") == "apiKey"
            else _e(f"{scheme.get('scheme', '')} {scheme.get('bearerFormat', '')}".strip())
        )
        rows.append(
            f"<tr><td><code>{_e(name)}</code></td><td>{_e(scheme.get('type', ''))}</td>"
            f"<td>{where}</td><td>{_e(scheme.get('description', ''))}</td></tr>"
        )
    return (
        "<h2>Authentication</h2><table><tr><th>scheme</th><th>type</th><th>where</th>"
        f"<th>what</th></tr>{''.join(rows)}</table>"
        + (
            f"<p>By default: {_requirements(document['security'])}</p>"
            if "security" in document
            else ""
        )
    )


def _requirements(requirements: Any) -> str:
    """``[{"a": [], "b": []}, {"c": []}]`` as "a and b, or c"."""
    if requirements is None:
        return "none"
    if requirements == []:
        return "none (open)"
    options = [" and ".join(f"<code>{_e(n)}</code>" for n in r) or "none" for r in requirements]
    return ", or ".join(options)


def _anchor(path: str, method: str, operation: dict[str, Any]) -> str:
    return "op-" + re.sub(r"[^A-Za-z0-9_.-]", "-", operation.get("operationId", method + path))


def _contents(document: dict[str, Any]) -> str:
    items = "".join(
        f'<li><a href="#{_anchor(path, method, op)}"><span class="method">{_e(method)}</span> '
        f"<code>{_e(path)}</code></a> {_e(op.get('summary', ''))}</li>"
        for path, method, op in _operations(document)
    )
    return f"<h2>Operations</h2><ul>{items}</ul>"


def _operation(document: dict[str, Any], path: str, method: str, operation: dict[str, Any]) -> str:
    item = document["paths"][path]
    params = [
        _resolve(document, p)
        for p in [*item.get("parameters", []), *operation.get("parameters", [])]
    ]
    parts = [
        f'<section id="{_anchor(path, method, operation)}">',
        f'<h2><span class="method">{_e(method)}</span> <code>{_e(path)}</code></h2>',
        f"<p><code>{_e(operation.get('operationId', ''))}</code>: "
        f"{_e(operation.get('summary', ''))}</p>",
        _paragraphs(operation.get("description", "")),
        f"<p>Authentication: {_requirements(operation.get('security', document.get('security')))}"
        "</p>",
        _notes(operation),
        _parameters(params),
        _request_body(operation.get("requestBody")),
        _responses(document, operation.get("responses", {})),
        "</section>",
    ]
    return "\n".join(p for p in parts if p)


def _notes(operation: dict[str, Any]) -> str:
    found = [
        f'<div class="note"><p><code>{_e(key)}</code></p>'
        + (
            _paragraphs(operation[key])
            if isinstance(operation[key], str)
            else _json(operation[key])
        )
        + "</div>"
        for key in _NOTES
        if key in operation
    ]
    return "".join(found)


def _parameters(params: list[dict[str, Any]]) -> str:
    if not params:
        return ""
    rows = "".join(
        f"<tr><td><code>{_e(p.get('name', ''))}</code></td><td>{_e(p.get('in', ''))}</td>"
        f"<td>{'yes' if p.get('required') else 'no'}</td><td>{_json(p.get('schema', {}))}</td>"
        f"<td>{_e(p.get('description', ''))}"
        + (f"<br>example: <code>{_e(json.dumps(p['example']))}</code>" if "example" in p else "")
        + "</td></tr>"
        for p in params
    )
    return (
        "<h3>Parameters</h3><table><tr><th>name</th><th>in</th><th>required</th>"
        f"<th>schema</th><th>about</th></tr>{rows}</table>"
    )


def _content(content: dict[str, Any]) -> str:
    parts = []
    for media_type, media in content.items():
        parts.append(f"<p><code>{_e(media_type)}</code></p>{_json(media.get('schema', {}))}")
        for name, example in media.get("examples", {}).items():
            parts.append(
                f"<details><summary>example <code>{_e(name)}</code></summary>"
                f"{_json(example.get('value'))}</details>"
            )
    return "".join(parts)


def _request_body(body: dict[str, Any] | None) -> str:
    if not body:
        return ""
    required = "required" if body.get("required") else "optional"
    return (
        f"<h3>Request body ({required})</h3>{_paragraphs(body.get('description', ''))}"
        f"{_content(body.get('content', {}))}"
    )


def _responses(document: dict[str, Any], responses: dict[str, Any]) -> str:
    parts = ["<h3>Responses</h3>"]
    for status, answer in responses.items():
        answer = _resolve(document, answer)
        headers = ", ".join(f"<code>{_e(h)}</code>" for h in answer.get("headers", {}))
        parts.append(
            f"<h4>{_e(status)}</h4>{_paragraphs(answer.get('description', ''))}"
            + (f"<p>Headers: {headers}</p>" if headers else "")
            + _content(answer.get("content", {}))
        )
    return "".join(parts)


def _schemas(document: dict[str, Any]) -> str:
    schemas = document.get("components", {}).get("schemas", {})
    items = "".join(
        f'<section id="schema-{_e(name)}"><h3><code>{_e(name)}</code></h3>{_json(schema)}</section>'
        for name, schema in schemas.items()
    )
    return f"<h2>Schemas</h2>{items}" if items else ""
