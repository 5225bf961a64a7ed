"""Start the action server: rasa_sdk's app plus a health route that checks the knowledge store.

    python -m actions.server --port 5055

GET /health           rasa_sdk's own liveness check
GET /health/knowledge  200 {"knowledge_store": {"state": "ok", ...}} or 503 with the cause
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
from typing import Optional, Sequence

from rasa_sdk.endpoint import DEFAULT_SERVER_PORT, create_app
from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from actions.base import knowledge_store
from actions.knowledge.store import KnowledgeStoreUnavailable
from assistant_core.masking import install_log_masking
from assistant_core.settings import Settings

logger = logging.getLogger(__name__)

# How long a connection may sit without a request before the server closes it. Rasa opens a
# fresh connection for every action call (rasa.utils.endpoints.EndpointConfig.session), and
# when its event loop is busy with a burst of messages it can write the request several seconds
# after connecting. Sanic's default (5 s) closed such connections as idle, and those users got
# the outage apology ("Cannot write to closing transport" in the Rasa log). Rasa's own turn
# budget is 30 s (credentials.yml), so a connection is kept well past it.
IDLE_CONNECTION_SECONDS = 75


def knowledge_health() -> tuple[dict, int]:
    """The knowledge store's state for the health route, and the HTTP status.

    Facts past their re-check age keep the status 200 (the answers still work) but are counted,
    so an operator's monitoring sees when the hotlines need checking again.
    """
    max_age = Settings.from_env().fact_max_age_days
    try:
        info = knowledge_store().seed_info()
        platforms = len(knowledge_store().platforms())
        stale = knowledge_store().stale_facts(dt.date.today(), max_age) if info else 0
    except KnowledgeStoreUnavailable as exc:
        return {"state": "unavailable", "cause": str(exc)[:300]}, 503
    if not info or platforms == 0:
        return {"state": "empty", "cause": "not seeded: run `python -m actions.knowledge import`"}, 503
    return {
        "state": "ok",
        "seed_version": info.get("version"),
        "fingerprint": info.get("fingerprint", "")[:12],
        "platforms": platforms,
        "facts_due_for_recheck": stale,
        "recheck_after_days": max_age,
    }, 200


def build_app() -> Sanic:
    """rasa_sdk's action app with our knowledge health route."""
    app = create_app("actions")
    app.config.KEEP_ALIVE_TIMEOUT = IDLE_CONNECTION_SECONDS

    @app.get("/health/knowledge")
    async def health_knowledge(_request: Request) -> HTTPResponse:
        state, status = knowledge_health()
        return response.json({"status": "ok" if status == 200 else "degraded", "knowledge_store": state}, status=status)

    return app


def main(argv: Optional[Sequence[str]] = None) -> None:
    """Parse the port and serve (one worker: the store's engine is per process)."""
    parser = argparse.ArgumentParser(prog="python -m actions.server")
    parser.add_argument("--port", type=int, default=int(os.environ.get("ACTIONS_PORT", DEFAULT_SERVER_PORT)))
    parser.add_argument("--host", default=os.environ.get("SANIC_HOST", "127.0.0.1"))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)-8s %(name)s - %(message)s")
    install_log_masking()  # phone numbers, e-mails, cards and codes never reach a log line
    app = build_app()
    state, _ = knowledge_health()
    logger.info("Knowledge store at start-up: %s", state)
    app.run(args.host, args.port, access_log=False)


if __name__ == "__main__":
    main()
