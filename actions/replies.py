"""Turn knowledge-store records into short Chinese messages for a phone screen.

Pure functions: the facts come in as records, the wording here carries none.
"""

from __future__ import annotations

from typing import Optional, Sequence

from assistant_core import apology
from assistant_core.records import Category, EscalationStep, EvidenceItem, Platform
from assistant_core.text import numbered

NEXT_STEP_HINT = "还没解决？回复「还是不行」，我告诉你下一步。"


def platform_contact(platform: Platform) -> str:
    """Hotline, what the number is when it is not a dedicated line, and the in-app route if known."""
    lines = [f"📞 {platform.hotline_title}：{platform.hotline}"]
    if platform.hotline_note:
        lines.append(f"ℹ️ {platform.hotline_note}")
    if platform.in_app_route:
        lines.append(f"📱 App 内：{platform.in_app_route}")
    return "\n".join(lines)


def hotline_lines(platforms: Sequence[Platform]) -> str:
    """'· 支付宝：95188' for every wallet: plain text, one per line."""
    return apology.hotline_lines((p.name, p.hotline, p.hotline_label) for p in platforms)


def all_hotlines(platforms: Sequence[Platform]) -> str:
    """Every wallet's number, one per line."""
    return "各钱包的客服电话：\n" + hotline_lines(platforms)


def step_contact(step: EscalationStep, platform: Optional[Platform]) -> str:
    """Who to contact for a step: the wallet's own support or the step's contact."""
    if not step.uses_platform_contact:
        return step.contact
    if platform is None:
        return "钱包平台的官方客服"
    route = f"（App 内：{platform.in_app_route}）" if platform.in_app_route else ""
    return f"{platform.name} {platform.hotline}{route}"


def step_card(step: EscalationStep, platform: Optional[Platform]) -> str:
    """One step on its own (a direct answer, not a rung of the ladder): who and how."""
    return "\n".join([f"📌 {step.title}", f"找谁：{step_contact(step, platform)}", f"怎么做：{step.advice}"])


def suggested_wait(days: int) -> str:
    """The assistant's own suggestion of a wait, said as one, never as an official time limit."""
    return f"💡 助手的建议：可以先给对方约 {days} 天时间；这不是官方时限，着急的话随时可以走下一步。"


def escalation_step(
    step: EscalationStep,
    ladder_length: int,
    platform: Optional[Platform],
    legal_disclaimer: str,
    is_first: bool = False,
) -> str:
    """One step of the ladder, with when to use it and how long to wait."""
    heading = "第一步" if is_first else f"第 {step.position} 步（共 {ladder_length} 步）"
    lines = [
        f"🪜 {heading}：{step.title}",
        f"找谁：{step_contact(step, platform)}",
        f"什么时候：{step.when_to_use}",
        f"怎么做：{step.advice}",
    ]
    if step.suggested_wait_days:
        lines.append(suggested_wait(step.suggested_wait_days))
    if step.position < ladder_length:
        lines.append(NEXT_STEP_HINT)
    if step.legal:
        lines.append(f"⚖️ {legal_disclaimer}")
    return "\n".join(lines)


def ladder_exhausted(
    ladder: Sequence[EscalationStep], platform: Optional[Platform], notice: str, legal_disclaimer: str
) -> str:
    """Said past the last step: every option left, in one list."""
    summary = numbered(f"{s.title}：{step_contact(s, platform)}" for s in ladder)
    text = f"{notice}\n\n你可以用的渠道回顾：\n{summary}"
    if any(s.legal for s in ladder):
        text += f"\n\n⚖️ {legal_disclaimer}"
    return text


def evidence_checklist(items: Sequence[EvidenceItem], tips: str) -> str:
    """The evidence to keep, wallet-specific items last."""
    return f"🧾 证据清单（先截图保存）：\n{numbered(i.text for i in items)}\n\n{tips}"


def self_checks(category: Category, checks: Sequence[str]) -> str:
    """Top-up self-checks, shown before anything else."""
    return f"{category.summary}\n\n🔍 先自查：\n{numbered(checks)}"


def urgent_steps(steps: Sequence[str], code_warning: str) -> str:
    """Fund-security first aid, shown before anything else, with the never-share-codes notice."""
    return f"⚠️ 请马上做这几件事：\n{numbered(steps)}\n\n{code_warning}"


def wallet_first_aid(wallet_name: str, steps: Sequence[str]) -> str:
    """First aid that only this wallet has (after the general first aid was given)."""
    return f"📱 用 {wallet_name} 的话，还要马上做：\n{numbered(steps)}"


def prevention_tips(tips: Sequence[str], scam_warning: str) -> str:
    """How to keep the account safe from now on, and the warning about fake money-recovery offers."""
    return f"🔒 以后这样防范：\n{numbered(tips)}\n\n{scam_warning}"


def guidance(category: Category, items: Sequence[str], legal_disclaimer: Optional[str] = None) -> str:
    """A category's general guidance (account closure, rights, complaint tips)."""
    text = f"{category.summary}\n\n{numbered(items)}"
    if legal_disclaimer:
        text += f"\n\n⚖️ {legal_disclaimer}"
    return text
