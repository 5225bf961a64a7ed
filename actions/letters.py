"""Fill a complaint-letter template from the knowledge store with a case file. Pure functions.

The wording of the letter is data (`letter_templates` in knowledge/seed.yml); this
module only formats the case's values, drops the paragraphs whose values are not
known, and masks card and ID numbers. Paragraphs are joined by single line breaks,
so every channel delivers the letter as one message the user can copy (Rasa's REST
channel splits texts on blank lines; the WeChat channel splits long texts itself).
"""

from __future__ import annotations

import datetime as dt
import string
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Mapping, Optional, Sequence

from actions import names
from actions.case import Case
from assistant_core.letter_records import LetterKit, LetterTemplate
from assistant_core.masking import mask_personal_numbers
from assistant_core.records import (
    STEP_OUTCOME_WAITING,
    Category,
    EscalationStep,
    EvidenceItem,
    Platform,
    Product,
    StepTried,
)
from assistant_core.text import numbered

MISSING = "（待补充）"
"""Shown for an essential the user did not give; they fill it in before sending."""
NO_DEMAND = "（请写明你的诉求，例如退款）"
CURRENCY_NAMES = {"CNY": "元", "USD": "美元", "HKD": "港币"}
OUTCOMES = {STEP_OUTCOME_WAITING: "正在等待答复"}
DEFAULT_OUTCOME = "没有解决"


@dataclass(frozen=True)
class Letter:
    """A filled-in letter and where to send it."""

    addressee: str
    send_via: str
    subject: str
    body: str
    template_key: str
    template_version: int
    before_sending: Optional[str] = None
    """What the user must add before sending, as the template says."""


def format_date(day: dt.date) -> str:
    """2026年11月25日"""
    return f"{day.year}年{day.month}月{day.day}日"


def format_time(value: Optional[str]) -> Optional[str]:
    """'2026-11-24' → 2026年11月24日; '2026-11-21T15:00' → 2026年11月21日 15:00; unknown → MISSING."""
    if not value:
        return None
    if value == names.VALUE_UNKNOWN:
        return MISSING
    try:
        if "T" in value:
            moment = dt.datetime.fromisoformat(value)
            return f"{format_date(moment.date())} {moment.strftime('%H:%M')}"
        return format_date(dt.date.fromisoformat(value))
    except ValueError:
        return value


def format_amount(value: Optional[str]) -> Optional[str]:
    """'1200.00 CNY' → 1,200.00元; unknown → MISSING."""
    if not value:
        return None
    if value == names.VALUE_UNKNOWN:
        return MISSING
    number, _, currency = value.partition(" ")
    try:
        amount = Decimal(number)
    except InvalidOperation:
        return value
    return f"{amount:,.2f}{CURRENCY_NAMES.get(currency or 'CNY', currency)}"


def numbered_or_none(items: Sequence[str]) -> Optional[str]:
    """'1. …' lines, or None for no items (the paragraph is dropped)."""
    return numbered(items) or None


def step_line(tried: StepTried, step: EscalationStep, platform: Optional[Platform]) -> str:
    """'联系平台客服（支付宝 95188）：2026年11月18日，工单号 T20241118007，没有解决'"""
    contact = f"{platform.name} {platform.hotline}" if step.uses_platform_contact and platform else step.contact
    if step.uses_platform_contact and platform is None:
        contact = "平台客服"
    details = [format_date(tried.on)] if tried.on else []
    if tried.ticket_id:
        details.append(f"工单号 {tried.ticket_id}")
    details.append(OUTCOMES.get(tried.outcome, DEFAULT_OUTCOME))
    return f"{step.title}（{contact}）：{'，'.join(details)}"


def fill(template: str, values: Mapping[str, Optional[str]]) -> Optional[str]:
    """The template with its placeholders filled, or None when one of them has no value."""
    fields = {name for _, name, _, _ in string.Formatter().parse(template) if name}
    if any(not values.get(name) for name in fields):
        return None
    return template.format_map({name: values[name] for name in fields})


def render_letter(
    *,
    kit: LetterKit,
    template: LetterTemplate,
    case: Case,
    category: Category,
    platform: Optional[Platform],
    ladder: Sequence[EscalationStep],
    reached: EscalationStep,
    steps: Sequence[StepTried],
    evidence: Sequence[EvidenceItem],
    today: dt.date,
    product: Optional[Product] = None,
) -> Letter:
    """The letter for the step reached, filled from the case file.

    The respondent is a verified company name only: the product's operator when the user named a
    credit or fund product (花呗 …), else the wallet's; otherwise the template's neutral wording.
    """
    by_key = {step.key: step for step in ladder}
    wallet_name = platform.name if platform else "钱包平台"
    if product is not None:
        wallet_name = f"{wallet_name}的{product.name}"
    operator = product.operator if product is not None else (platform.operator if platform else None)
    values: dict[str, Optional[str]] = {
        "wallet_name": wallet_name,
        "operator": operator,
        "hotline": platform.hotline if platform else None,
        "in_app_route": platform.in_app_route if platform else None,
        "website": platform.website if platform else None,
        "problem_name": category.name,
        "incident_time": format_time(case.incident_time) or MISSING,
        "amount": format_amount(case.amount) or MISSING,
        "order_id": case.order_id,
        "account": "".join(f"「{said}」" for said in case.story) or None,
        "steps_tried": numbered_or_none(
            [step_line(s, by_key[s.step_key], platform) for s in steps if s.step_key in by_key]
        ),
        "tickets": "、".join(case.all_ticket_ids) or None,
        "demands": numbered_or_none([kit.demands[d] for d in case.demands if d in kit.demands]) or NO_DEMAND,
        "attachments": numbered_or_none([item.text for item in evidence]),
        "today": format_date(today),
    }
    values["respondent"] = operator
    if operator is None and template.respondent_unverified:
        values["respondent"] = fill(template.respondent_unverified, values)
    if template.respondent_if_not_institution and platform is not None and platform.is_payment_institution is False:
        values["respondent"] = fill(template.respondent_if_not_institution, values)
    if values["respondent"] is None:
        values["respondent"] = f"{wallet_name}的运营公司{MISSING}"
    values["addressee"] = fill(template.addressee, values) or template.addressee
    values["facts"] = fill(kit.facts_for(case.problem or "", case.story), values)
    subject = fill(template.subject, values) or ""
    paragraphs = [text for text in (fill(p, values) for p in template.paragraphs) if text]
    body = mask_personal_numbers("\n".join([subject, *paragraphs]), keep=[case.order_id or "", *case.all_ticket_ids])
    return Letter(
        addressee=values["addressee"] or "",
        send_via=fill(template.send_via, values) or template.send_via,
        subject=subject,
        body=body,
        template_key=template.key,
        template_version=template.version,
        before_sending=template.before_sending,
    )
