"""A bound on every request body (pure ASGI middleware): 413 before the app reads too much.

``Content-Length`` over the limit is refused at once; a body without it (chunked) is counted
as it arrives and refused when it passes the limit. Uploads (``POST /api/v1/uploads``) have
their own, larger limit (``max_upload_mib``), which that route enforces while streaming.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from election_monitor.api.errors import error_json

UPLOAD_PATHS = ("/api/v1/uploads",)


class BodyLimitMiddleware:
    """Answers 413 ``PayloadTooLargeError`` to a request body larger than ``max_bytes``."""

    def __init__(self, app: ASGIApp, *, max_bytes: int, max_upload_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.max_upload_bytes = max_upload_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = str(scope.get("path", ""))
        limit = self.max_upload_bytes if path in UPLOAD_PATHS else self.max_bytes
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await self._refuse(scope, receive, send, limit)
            return
        seen = 0
        started = refused = False

        async def counting_receive() -> Message:
            nonlocal seen, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit and not started:
                    # Answer now; the app sees the client gone and stops reading.
                    refused = True
                    await self._refuse(scope, receive, send, limit)
                    return {"type": "http.disconnect"}
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if refused:
                return  # the 413 has been sent; whatever the app answers is dropped
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except Exception:
            if not refused:
                raise

    @staticmethod
    async def _refuse(scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        detail = f"request body larger than the limit of {limit:,} bytes"
        response = error_json(413, "PayloadTooLargeError", detail)
        await response(scope, receive, send)
