"""The keepalive_closed_after_error fault switch: a server that closes a kept-alive
connection when the next request arrives on it after an error answer, without
answering it, as servers do that tear a connection down after their own
failure or on an idle timeout. The client's request never got a byte: a client
should retry it once on a fresh connection.

Plain ASGI, outermost, so it sees every answer's status and every new request.
Closing needs the transport, which ASGI does not expose: uvicorn's `receive` is a
method of its request cycle, which holds it. Without that the switch refuses to
pretend and answers 500.
"""

from __future__ import annotations

import weakref

FAULT = "keepalive_closed_after_error"


class CloseAfterErrorMiddleware:
    def __init__(self, app, faults: frozenset[str]):
        self.app = app
        self.active = FAULT in faults
        self._after_error: weakref.WeakSet = weakref.WeakSet()  # transports whose last answer was an error

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or not self.active:
            await self.app(scope, receive, send)
            return
        transport = getattr(getattr(receive, "__self__", None), "transport", None)
        if transport is None:
            await _answer_500(send)
            return
        if transport in self._after_error:
            self._after_error.discard(transport)
            transport.close()  # the request is left unanswered
            # Return only once uvicorn has seen the disconnect, or it would answer 500 for us.
            while (await receive())["type"] != "http.disconnect":
                pass
            return

        async def watch_status(message):
            if message["type"] == "http.response.start" and message["status"] >= 400:
                self._after_error.add(transport)
            await send(message)

        await self.app(scope, receive, watch_status)


async def _answer_500(send) -> None:
    body = b'{"error": {"message": "keepalive_closed_after_error needs uvicorn", "type": "api_error", ' \
           b'"code": "internal_error", "param": null}}'
    await send({"type": "http.response.start", "status": 500,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
