"""The apology a channel sends when Rasa fails is plain text, whatever layout the seed file is in."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import aiohttp
import pytest

from actions.knowledge.__main__ import main as knowledge_cli
from assistant_core.apology import service_unavailable_text
from bot.channels.rest import GuardedRestInput
from tests.channels.conftest import serve_channels
from tests.fakes import FakeAgent


@pytest.fixture
def exported_seed(tmp_path: Path, seeded_db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The store exported by `python -m actions.knowledge export` (notices as mappings), used as the seed."""
    monkeypatch.setenv("KNOWLEDGE_DB_URL", seeded_db_url)
    path = tmp_path / "exported-seed.yml"
    assert knowledge_cli(["export", "--out", str(path)]) == 0
    monkeypatch.setenv("KNOWLEDGE_SEED_PATH", str(path))
    service_unavailable_text.cache_clear()
    yield path
    service_unavailable_text.cache_clear()


async def test_the_rest_channel_apologises_in_plain_text_from_an_exported_seed(exported_seed: Path) -> None:
    failing = FakeAgent(error=RuntimeError("Failed to execute custom action 'action_answer_problem'"))
    served = await serve_channels([GuardedRestInput(turn_budget_seconds=1.0)], failing)
    try:
        async with aiohttp.ClientSession() as session:
            async with session.post(
                f"{served.base_url}/webhooks/rest/webhook", json={"sender": "u-outage", "message": "支付宝充值失败"}
            ) as reply:
                assert reply.status == 200
                text = "\n".join(m["text"] for m in await reply.json())
    finally:
        await served.close()
    assert text.startswith("非常抱歉")
    for line in ("· 支付宝：95188", "· 微信支付：95017", "· 京东钱包：400-606-5500", "· Apple Pay：400-666-8800"):
        assert line in text
    assert "{" not in text and "'text'" not in text and "datetime" not in text
