"""What each channel promises when a reminder is set, on the shared servers (real dates, nothing fires here)."""

from __future__ import annotations

import uuid

import pytest

from tests.conftest import FakeWeChatApi, RunningServers
from tests.e2e.test_wechat_e2e import new_openid, say, what_the_user_reads

pytestmark = pytest.mark.e2e


def rest_texts(servers: RunningServers, sender: str, message: str) -> str:
    return "\n".join(m.get("text", "") for m in servers.talk(sender, message))


def test_wechat_refuses_a_reminder_beyond_48_hours_and_gives_the_date_to_note(
    servers: RunningServers, fake_wechat_api: FakeWeChatApi
) -> None:
    openid = new_openid()
    passive, _ = say(servers, openid, "三天后提醒我")
    answer = what_the_user_reads(passive, fake_wechat_api, openid, lambda text: "48 小时" in text)
    assert "48 小时" in answer and "记下来" in answer
    assert "我来问你进展" not in answer  # not pretending
    passive, _ = say(servers, openid, "我的提醒")
    listed = what_the_user_reads(passive, fake_wechat_api, openid, lambda text: "提醒" in text)
    assert "没有设提醒" in listed


def test_wechat_accepts_tomorrow_which_is_within_48_hours(
    servers: RunningServers, fake_wechat_api: FakeWeChatApi
) -> None:
    openid = new_openid()
    passive, _ = say(servers, openid, "明天提醒我")
    answer = what_the_user_reads(passive, fake_wechat_api, openid, lambda text: "公众号" in text)
    assert "我来问你进展" in answer and "公众号" in answer


def test_rest_says_it_cannot_push_and_lists_and_cancels(servers: RunningServers) -> None:
    sender = f"remind-{uuid.uuid4().hex}"
    confirmed = rest_texts(servers, sender, "下周一提醒我跟进")
    assert "我来问你进展" in confirmed and "不能主动发消息" in confirmed and "（周一）" in confirmed
    assert "1. " in rest_texts(servers, sender, "我的提醒")
    assert "已取消 1 个提醒" in rest_texts(servers, sender, "取消提醒")
    assert "没有设提醒" in rest_texts(servers, sender, "我的提醒")


def test_without_a_date_the_assistant_asks_when_and_refuses_too_far(servers: RunningServers) -> None:
    sender = f"remind-{uuid.uuid4().hex}"
    asked = servers.talk(sender, "到时提醒我")
    assert "什么时候" in asked[0]["text"] and [b["title"] for b in asked[0]["buttons"]][:2] == ["三天后", "一周后"]
    assert "60 天以内" in rest_texts(servers, sender, "三个月后提醒我")
    assert "没有设提醒" in rest_texts(servers, sender, "我的提醒")
