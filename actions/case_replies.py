"""Short messages about the case: the letter's cover note, deadlines, steps recorded. Pure functions.

Facts (contacts, waiting times, the disclaimer) come in as arguments from the store.
"""

from __future__ import annotations

import datetime as dt
from typing import Optional

from actions.case import WaitStatus
from actions.letters import Letter, format_date
from assistant_core.records import EscalationStep, Platform

WEEKDAYS = "一二三四五六日"
NEXT_STEP_PROMPT = "回复「还是不行」，我告诉你下一步。"


def day_with_weekday(day: dt.date) -> str:
    """2026年12月2日（周三）"""
    return f"{format_date(day)}（周{WEEKDAYS[day.weekday()]}）"


def letter_cover(letter: Letter) -> str:
    """Who the letter is for and how to hand it in; the letter itself follows in the next message."""
    lines = [f"📝 投诉信写好了，收信方：{letter.addressee}", f"怎么交：{letter.send_via}"]
    if letter.before_sending:
        lines.append(f"✍️ {letter.before_sending}")
    lines.append(
        "下一条就是全文，长按即可复制。「事情经过」引的是你在对话里的原话，发送前请核对、改准确；"
        "「________」和「（待补充）」处请自己补上。"
    )
    return "\n".join(lines)


def come_back(wait_days: int, today: dt.date) -> str:
    """The assistant's suggestion of when to come back; no promise about how long the addressee takes."""
    return (
        f"💡 助手的建议（不是官方时限）：交出去以后可以先等约 {wait_days} 天，"
        f"到 {day_with_weekday(today + dt.timedelta(days=wait_days))}还没有结果，{NEXT_STEP_PROMPT}"
    )


def disclaimer(legal_disclaimer: str) -> str:
    return f"⚖️ {legal_disclaimer}"


def _contact(step: EscalationStep, platform: Optional[Platform]) -> str:
    if not step.uses_platform_contact:
        return step.contact
    return f"{platform.name} {platform.hotline}" if platform else "平台客服"


def step_recorded(
    step: EscalationStep, platform: Optional[Platform], on: Optional[dt.date], ticket: Optional[str]
) -> str:
    """Acknowledge a step the user says they took."""
    when = f"{format_date(on)}" if on else ""
    ticket_note = f"，工单号 {ticket}" if ticket else ""
    return f"📌 记下了：你{when}已经「{step.title}」（{_contact(step, platform)}）{ticket_note}。"


def wait_more(status: WaitStatus) -> str:
    """The suggested wait has not passed yet: when to come back, and that the user need not wait."""
    assert status.come_back_on is not None
    return (
        f"💡 助手的建议是给这一步约 {status.wait_days} 天，现在过了 {status.waited_days} 天，"
        f"可以等到 {day_with_weekday(status.come_back_on)}（还有 {status.days_left} 天）。"
        f"这不是官方时限：不想等的话，{NEXT_STEP_PROMPT}"
    )


def wait_over(status: WaitStatus) -> str:
    """The suggested wait has passed: time for the next step."""
    if status.wait_days is None or status.waited_days is None:
        return "这一步没有结果的话，可以往上走一步了："
    return f"已经过了 {status.waited_days} 天，超过助手建议的约 {status.wait_days} 天，可以往上走一步了："


def wait_unknown(status: WaitStatus) -> str:
    """We do not know when the user complained: the suggestion, then the next step."""
    return f"💡 助手的建议是给这一步约 {status.wait_days} 天（不是官方时限）。不想再等的话，下一步是："
