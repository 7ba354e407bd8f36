"""A WebSocket handshake answered as the plain ``GET`` it also is.

No vendor serves a WebSocket: their servers (Apache and PHP, IIS and ASP.NET Core without
WebSocket middleware) ignore ``Upgrade: websocket`` and answer the ``GET`` as any other, a path
it does not take with the vendor's 405 or 404. Where the ASGI server can send an answer to a
handshake (the ``websocket.http.response`` extension: uvicorn with ``websockets``), the kit does
the same, journalled; elsewhere the server's own 403 closes it.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

_SCHEMES = {"ws": "http", "wss": "https"}


async def answered_as_get(app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> None:
    """Answer the handshake ``scope`` as ``app`` answers the same ``GET``, without a body."""
    if "websocket.http.response" not in scope.get("extensions", {}):
        await send({"type": "websocket.close", "code": 1008})  # the server answers 403
        return
    await receive()  # websocket.connect
    request = {**scope, "type": "http", "method": "GET", "extensions": {}}
    request["scheme"] = _SCHEMES.get(scope.get("scheme", "ws"), "http")
    request.pop("subprotocols", None)
    body: list[Message] = [{"type": "http.request", "body": b"", "more_body": False}]

    async def receiving() -> Message:
        if body:
            return body.pop()
        while (await receive())["type"] != "websocket.disconnect":
            pass
        return {"type": "http.disconnect"}

    async def sending(message: Message) -> None:
        await send({**message, "type": f"websocket.{message['type']}"})

    await app(request, receiving, sending)
