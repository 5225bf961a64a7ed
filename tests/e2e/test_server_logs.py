"""Nothing personal in the server logs, whatever else has run before.

The test sends its own personal data first (a report with an order number, the letter that
repeats it, a card number and a code), then reads every log of the run so far: the shared
servers, the breakable ones below them and the token-protected Rasa. It looks for its own texts
and for every text any e2e test sent with talk(), so it holds when run alone, first or last.
"""

from __future__ import annotations

import re
import uuid

import pytest

from tests.conftest import RunningServers

pytestmark = pytest.mark.e2e

ORDER_ID = "2026112477665544"
CARD_NUMBER = "6222021234567890128"
CODE = "482913"
PERSONAL_TURNS = (
    f"我昨天用支付宝充值800元一直没到账，订单号{ORDER_ID}",
    "帮我写投诉信",
    "退款",
    f"我的卡号{CARD_NUMBER}被盗刷了，验证码是{CODE}",
)
_LONG_NUMBER = re.compile(r"\d{10,}")


def personal_strings(said: list[str]) -> set[str]:
    """The user texts worth searching for, and every long number inside them."""
    found = {ORDER_ID, CARD_NUMBER, CODE}
    for text in said:
        if not text.startswith("/") and len(text.strip()) >= 6:
            found.add(text.strip())
        found.update(_LONG_NUMBER.findall(text))
    return found


def test_the_server_logs_of_the_run_carry_no_personal_data(servers: RunningServers) -> None:
    sender = f"logs-{uuid.uuid4().hex}"
    letter = "\n".join(m.get("text", "") for turn in PERSONAL_TURNS for m in servers.talk(sender, turn))
    assert ORDER_ID in letter, "the letter repeats the order number, so the turns reached the actions"
    logs = {
        str(path.relative_to(servers.workdir)): path.read_text(encoding="utf-8", errors="replace")
        for path in servers.workdir.rglob("*.log")
    }
    assert "rasa.log" in logs and "actions.log" in logs and logs["rasa.log"].strip()
    needles = personal_strings(servers.said)
    leaks = sorted((name, needle) for name, text in logs.items() for needle in needles if needle in text)
    assert leaks == [], f"personal data in the logs: {leaks[:10]}"
