"""Fixtures shared by every layer of the test suite."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional

import pytest
from rasa_sdk import Tracker

from actions import base
from actions.knowledge.seed import load_seed
from actions.knowledge.store import KnowledgeStore, import_seed, make_engine, seed_fingerprint

ROOT = Path(__file__).resolve().parent.parent
SEED_PATH = ROOT / "knowledge" / "seed.yml"


@pytest.fixture
def seeded_db_url(tmp_path: Path) -> str:
    """A fresh SQLite knowledge store holding the committed seed."""
    url = f"sqlite:///{tmp_path / 'knowledge.db'}"
    import_seed(make_engine(url), load_seed(SEED_PATH), seed_fingerprint(SEED_PATH))
    return url


@pytest.fixture
def store(seeded_db_url: str) -> KnowledgeStore:
    return KnowledgeStore(make_engine(seeded_db_url))


@pytest.fixture
def action_env(seeded_db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Point the action server's store at the seeded test database."""
    monkeypatch.setenv("KNOWLEDGE_DB_URL", seeded_db_url)
    monkeypatch.setenv("KNOWLEDGE_SEED_PATH", str(SEED_PATH))
    base.knowledge_store.cache_clear()
    base.outage_reply.cache_clear()
    yield seeded_db_url
    base.knowledge_store.cache_clear()
    base.outage_reply.cache_clear()


def user_event(intent: str, text: str = "", entities: Optional[List[Dict[str, Any]]] = None) -> Dict[str, Any]:
    return {
        "event": "user",
        "text": text,
        "parse_data": {"intent": {"name": intent, "confidence": 0.99}, "entities": entities or [], "text": text},
    }


def make_tracker(
    intent: str,
    text: str = "",
    slots: Optional[Dict[str, Any]] = None,
    entities: Optional[List[Dict[str, Any]]] = None,
    history: Optional[List[Dict[str, Any]]] = None,
) -> Tracker:
    """A tracker whose latest message has `intent`, after the `history` events."""
    latest = user_event(intent, text, entities)
    return Tracker(
        sender_id="test-user",
        slots=slots or {},
        latest_message=latest["parse_data"],
        events=[*(history or []), latest],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )
