"""HTTP helpers of the WeChat webhook: plain-text and XML responses, and a body read capped at the
protocol's limit (Sanic specifics kept out of the connector)."""

from __future__ import annotations

from sanic import response
from sanic.exceptions import PayloadTooLarge
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels import wechat_protocol as protocol
from bot.channels.limits import configured


def text_response(body: str, status: int = 200) -> HTTPResponse:
    """A plain-text response that browsers will not sniff as HTML."""
    return response.text(
        body,
        status=status,
        content_type="text/plain; charset=utf-8",
        headers={"X-Content-Type-Options": "nosniff"},
    )


def xml_response(body: str) -> HTTPResponse:
    """A passive-reply response."""
    return response.text(body, content_type="application/xml; charset=utf-8")


def body_limit() -> int:
    """The protocol limit, or MAX_REQUEST_BYTES when that is lower."""
    return min(protocol.MAX_BODY_BYTES, configured().max_request_bytes)


def limit_body(request: Request) -> None:
    """Cap this request's body, also for what Sanic drains after we answer.

    The webhook is a streaming route, so Sanic has read none of the body yet; with the cap set,
    a Content-Length over it is refused before any of the body is read, and a chunked body as
    soon as its chunks pass it (`sanic.http.Http.read`)."""
    stream = request.stream
    if stream is not None and hasattr(stream, "request_max_size"):
        stream.request_max_size = body_limit()


async def read_body(request: Request) -> bytes:
    """The request body, refusing to read more than the protocol limit."""
    limit_body(request)
    try:
        await request.receive_body()
    except PayloadTooLarge as exc:
        raise protocol.BodyTooLarge("body over the limit") from exc
    return bytes(request.body or b"")
