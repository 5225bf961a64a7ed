"""Nothing personal in the logs: read after every other e2e test (the file name sorts last).

The servers' logs of the whole run (Rasa, the restarted Rasa, the token-protected Rasa, the
action server) must not contain any text a user sent, nor the order and card numbers in it.
"""

from __future__ import annotations

import re

import pytest

from tests.conftest import RunningServers
from tests.e2e.test_letter_e2e import ORDER_ID as LETTER_ORDER_ID
from tests.e2e.test_privacy_e2e import ORDER_ID

pytestmark = pytest.mark.e2e

CARD_NUMBER = "6222021234567890128"  # sent (and masked) by tests/e2e/test_bad_input.py
_LONG_NUMBER = re.compile(r"\d{10,}")


def personal_strings(said: list[str]) -> set[str]:
    """The user texts worth searching for, and every long number inside them."""
    found = {ORDER_ID, LETTER_ORDER_ID, CARD_NUMBER}
    for text in said:
        if not text.startswith("/") and len(text.strip()) >= 6:
            found.add(text.strip())
        found.update(_LONG_NUMBER.findall(text))
    return found


def test_the_server_logs_of_the_run_carry_no_personal_data(servers: RunningServers) -> None:
    logs = {path.name: path.read_text(encoding="utf-8", errors="replace") for path in servers.workdir.glob("*.log")}
    assert "rasa.log" in logs and "actions.log" in logs and logs["rasa.log"].strip()
    # The strings of this run: the REST turns of every e2e test, including the letters with order numbers.
    needles = personal_strings(servers.said)
    assert len(servers.said) >= 5, "the e2e tests before this one did not run"
    leaks = sorted((name, needle) for name, text in logs.items() for needle in needles if needle in text)
    assert leaks == [], f"personal data in the logs: {leaks[:10]}"
