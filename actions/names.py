"""Names shared with domain.yml: slots, intents, actions, categories and notices."""

from __future__ import annotations

# Slots
SLOT_WALLET = "wallet"
SLOT_NAMED_WALLET = "named_wallet"
"""What the wallet form asks for: a wallet with verified facts (wallet) or without (other_wallet)."""
SLOT_PROBLEM = "problem"
SLOT_CASE_PROGRESS = "case_progress"
SLOT_REQUESTED = "requested_slot"

# Entities
ENTITY_WALLET = "wallet"

# Intents
INTENT_REPORT_TOPUP_FAILURE = "report_topup_failure"
INTENT_REPORT_FUND_SECURITY = "report_fund_security"
INTENT_REPORT_SUPPORT_UNRESPONSIVE = "report_support_unresponsive"
INTENT_INFORM = "inform"

# Problem categories (keys in the knowledge store)
CATEGORY_TOPUP_FAILURE = "topup_failure"
CATEGORY_FUND_SECURITY = "fund_security"
CATEGORY_SUPPORT_UNRESPONSIVE = "support_unresponsive"
CATEGORY_ACCOUNT_CLOSURE = "account_closure"
CATEGORY_LEGAL_RIGHTS = "legal_rights"

PROBLEM_BY_INTENT = {
    INTENT_REPORT_TOPUP_FAILURE: CATEGORY_TOPUP_FAILURE,
    INTENT_REPORT_FUND_SECURITY: CATEGORY_FUND_SECURITY,
    INTENT_REPORT_SUPPORT_UNRESPONSIVE: CATEGORY_SUPPORT_UNRESPONSIVE,
}
INTENT_BY_PROBLEM = {problem: intent for intent, problem in PROBLEM_BY_INTENT.items()}

# Advice kinds
ADVICE_SELF_CHECK = "self_check"
ADVICE_URGENT = "urgent"
ADVICE_PREVENTION = "prevention"
ADVICE_GUIDANCE = "guidance"

# Notices
NOTICE_LEGAL_DISCLAIMER = "legal_disclaimer"
NOTICE_LADDER_EXHAUSTED = "ladder_exhausted"
NOTICE_EVIDENCE_TIPS = "evidence_tips"
NOTICE_SERVICE_UNAVAILABLE = "service_unavailable"
NOTICE_FRAUD_WARNING = "fraud_warning"
NOTICE_RECOVERY_SCAM_WARNING = "recovery_scam_warning"

# Actions and forms
ACTION_ANSWER_PROBLEM = "action_answer_problem"
ACTION_GIVE_NEXT_ESCALATION_STEP = "action_give_next_escalation_step"
ACTION_GIVE_HOTLINE = "action_give_hotline"
ACTION_GIVE_EVIDENCE = "action_give_evidence"
ACTION_ANSWER_ACCOUNT_CLOSURE = "action_answer_account_closure"
ACTION_ANSWER_LEGAL_RIGHTS = "action_answer_legal_rights"
ACTION_ASK_WALLET = "action_ask_wallet"
ACTION_ASK_NAMED_WALLET = "action_ask_named_wallet"
FORM_WALLET = "wallet_form"

# Responses defined in domain.yml
UTTER_ASK_WHICH_PROBLEM = "utter_ask_which_problem"
UTTER_ASK_WALLET = "utter_ask_wallet"
"""Its buttons (one per seeded wallet) are added by action_ask_wallet / action_ask_named_wallet."""
UTTER_WALLET_NOT_RECOGNISED = "utter_wallet_not_recognised"
UTTER_WRONG_NUMBER = "utter_wrong_number"
UTTER_NO_VERIFIED_FACTS = "utter_no_verified_facts"
UTTER_DEMAND_RECORDED = "utter_demand_recorded"
UTTER_POLICE_YES = "utter_police_yes"
UTTER_OFFER_REMINDER = "utter_offer_reminder"

# --- Case file and complaint letter -------------------------------------------------------------

# Slots (facts extracted by bot.nlu.facts.ComplaintFactExtractor, and the steps the user took)
SLOT_AMOUNT = "amount"
SLOT_INCIDENT_TIME = "incident_time"
SLOT_ORDER_ID = "order_id"
SLOT_DEMAND = "demand"
SLOT_TICKET_IDS = "ticket_ids"

# Entities
ENTITY_AMOUNT = "amount"
ENTITY_INCIDENT_TIME = "incident_time"
ENTITY_ORDER_ID = "order_id"
ENTITY_TICKET_ID = "ticket_id"
ENTITY_DEMAND = "demand"

# Intents
INTENT_REQUEST_COMPLAINT_LETTER = "request_complaint_letter"
INTENT_REPORT_ALREADY_COMPLAINED = "report_already_complained"
INTENT_DENY = "deny"
INTENT_NLU_FALLBACK = "nlu_fallback"

# Actions and forms
ACTION_WRITE_COMPLAINT_LETTER = "action_write_complaint_letter"
ACTION_RECORD_EARLIER_COMPLAINT = "action_record_earlier_complaint"
ACTION_HANDLE_UNCLEAR = "action_handle_unclear"
UTTER_CASE_UNCLEAR = "utter_case_unclear"
UTTER_YOU_ARE_WELCOME = "utter_you_are_welcome"
UTTER_GOODBYE = "utter_goodbye"
ACTION_VALIDATE_COMPLAINT_LETTER_FORM = "validate_complaint_letter_form"
FORM_COMPLAINT_LETTER = "complaint_letter_form"

VALUE_UNKNOWN = "unknown"
"""Slot value of an essential the user could not give when the letter form asked ("记不清了")."""

# --- The user's records (个人信息保护法) -----------------------------------------------------------

INTENT_REQUEST_DATA_DELETION = "request_data_deletion"
ACTION_DELETE_MY_RECORDS = "action_delete_my_records"
SLOT_RECORDS_DELETED = "records_deleted"
"""True once the case files are deleted: the tracker store then deletes the conversation (bot/stores.py)."""

# --- Direct questions inside a case, unknown wallets, demands (issue 12) ------------------------

INTENT_ASK_REPORT_POLICE = "ask_report_police"
INTENT_ASK_SHARE_SECRET = "ask_share_secret"
INTENT_STATE_DEMAND = "state_demand"
ACTION_ANSWER_POLICE_QUESTION = "action_answer_police_question"
ACTION_ANSWER_SECRET_QUESTION = "action_answer_secret_question"
ACTION_RECORD_DEMAND = "action_record_demand"
NOTICE_NEVER_SHARE_SECRETS = "never_share_secrets"
NOTICE_CHANGE_PASSWORD = "change_password"
NOTICE_OTHER_WALLET_ROUTE = "other_wallet_route"
NOTICE_POLICE_IF_DEFRAUDED = "police_if_defrauded"
STEP_POLICE = "police"
STEP_LEGAL_ROUTE = "legal_route"
"""The key of the police step on the fund-security ladder (knowledge/seed.yml)."""
SLOT_OTHER_WALLET = "other_wallet"
"""A wallet the store has no verified facts for (云闪付, PayPal …), as the NLU named it."""
ENTITY_OTHER_WALLET = "other_wallet"
