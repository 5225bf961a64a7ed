"""Static server for the widget demo: the demo page at `/`, the built widget at `/widget/`.

It stands in for a real website embedding the widget: the page lives on its own
origin (`http://localhost:${WEB_PORT}`) and the widget talks to the Rasa server
on another one (`--rasa-url`, default `http://localhost:${RASA_PORT}`).

    python web/serve.py [--host 127.0.0.1] [--port 8080] [--rasa-url http://localhost:5005]
"""

from __future__ import annotations

import argparse
import html
import logging
import os
from pathlib import Path
from typing import Awaitable, Callable, List, Optional
from urllib.parse import urlsplit

from aiohttp import web

WEB_ROOT = Path(__file__).resolve().parent
DEMO_DIR = WEB_ROOT / "demo"
DIST_DIR = WEB_ROOT / "dist"
RASA_URL_PLACEHOLDER = "__RASA_URL__"

logger = logging.getLogger("web.serve")


def content_security_policy(rasa_url: str) -> str:
    """Only our own scripts and styles; network access only to the Rasa server."""
    parts = urlsplit(rasa_url)
    websocket = f"{'wss' if parts.scheme == 'https' else 'ws'}://{parts.netloc}"
    return (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        f"connect-src 'self' {parts.scheme}://{parts.netloc} {websocket}; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'none'; object-src 'none'"
    )


def render_demo_page(rasa_url: str) -> str:
    """The demo page with the Rasa server's URL in the widget's data-server attribute."""
    page = (DEMO_DIR / "index.html").read_text(encoding="utf-8")
    return page.replace(RASA_URL_PLACEHOLDER, html.escape(rasa_url, quote=True))


def create_app(rasa_url: str) -> web.Application:
    """The aiohttp app: `/`, `/demo/*`, `/widget/*`, `/healthz` (and an empty `/favicon.ico`)."""
    csp = content_security_policy(rasa_url)

    @web.middleware
    async def security_headers(
        request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        response = await handler(request)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        response.headers.setdefault("Cache-Control", "no-cache")
        return response

    async def index(_: web.Request) -> web.Response:
        return web.Response(
            text=render_demo_page(rasa_url),
            content_type="text/html",
            charset="utf-8",
            headers={"Content-Security-Policy": csp},
        )

    async def widget_missing(_: web.Request) -> web.Response:
        return web.Response(
            status=503,
            text="The chat widget is not built: run `make web` (npm ci + build into web/dist).",
        )

    async def health(_: web.Request) -> web.Response:
        return web.Response(text="ok")

    async def no_favicon(_: web.Request) -> web.Response:
        return web.Response(status=204)

    app = web.Application(middlewares=[security_headers])
    app.router.add_get("/", index)
    app.router.add_get("/healthz", health)
    app.router.add_get("/favicon.ico", no_favicon)
    app.router.add_static("/demo/", DEMO_DIR)
    if DIST_DIR.is_dir():
        app.router.add_static("/widget/", DIST_DIR)
    else:
        logger.error("%s is missing, so the widget is not served. Fix: run `make web`.", DIST_DIR)
        app.router.add_get("/widget/{name}", widget_missing)
    return app


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    rasa_port = os.environ.get("RASA_PORT", "5005")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default=os.environ.get("WEB_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("WEB_PORT", "8080")))
    parser.add_argument(
        "--rasa-url",
        default=os.environ.get("WEB_RASA_URL", f"http://localhost:{rasa_port}"),
        help="the Rasa server as the browser reaches it (its socket.io endpoint is <url>/socket.io)",
    )
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s  %(message)s")
    if urlsplit(args.rasa_url).scheme not in ("http", "https"):
        raise SystemExit(f"--rasa-url must start with http:// or https://, got {args.rasa_url!r}")
    logger.info("Widget demo on http://%s:%d/ (Rasa at %s)", args.host, args.port, args.rasa_url)
    web.run_app(create_app(args.rasa_url), host=args.host, port=args.port, print=None, access_log=None)


if __name__ == "__main__":
    main()
