"""Delivering a claimed reminder: run `action_reminder_due` in the user's conversation, on their channel.

The action (actions/reminder_actions.py) writes the message: the case summary, the step the
user waits on and "有结果了吗？" with buttons. Here only the honest part of each channel:

- telegram: the Bot API reaches a chat any time;
- webchat: sent to the widget's session room when it is connected; otherwise held for the next visit
  (the socket.io channel calls its `on_visit` hook, ReminderScheduler.deliver_held, when the session is back);
- wechat: the customer-service API reaches a user only within 48 h of their last message; the
  action refused reminders beyond that when they were set; past it at delivery time, it fails honestly;
- rest: no push: the message is written into the conversation (read with GET /conversations/…/tracker).

Each delivery runs under the conversation's lock, the one Rasa takes for every user message
(Agent.handle_message), and re-reads its claim once it holds it: a "删除我的记录" turn erases the
reminders and the conversation under that lock, so a reminder that waited for it finds its row gone
and is not sent (sending would write the conversation back).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Dict, Optional

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, OutputChannel
from rasa.core.policies.policy import PolicyPrediction
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.events import ActionExecuted, BotUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sanic import Blueprint, Sanic

from assistant_core.reminder_store import Reminder, ReminderStore
from bot.reminders.scheduler import DELIVERED, GONE, HELD, RETRY

logger = logging.getLogger(__name__)

ACTION_REMINDER_DUE = "action_reminder_due"
OUTPUTS_KEY = "reminder_channels"


def offer_for_reminders(blueprint: Blueprint, channel: InputChannel) -> None:
    """Let the reminder scheduler send through `channel` (call it from the channel's blueprint())."""

    @blueprint.listener("before_server_start")
    async def remember(app: Sanic, _: Any) -> None:
        channels: Dict[str, InputChannel] = getattr(app.ctx, OUTPUTS_KEY, None) or {}
        channels[channel.name()] = channel
        setattr(app.ctx, OUTPUTS_KEY, channels)


def bot_spoke(tracker: Optional[DialogueStateTracker]) -> bool:
    """Whether the last run of action_reminder_due put a message in the conversation."""
    if tracker is None:
        return False
    spoke = False
    for event in tracker.events:
        if isinstance(event, ActionExecuted) and event.action_name == ACTION_REMINDER_DUE:
            spoke = False
        elif isinstance(event, BotUttered):
            spoke = True
    return spoke


class Delivery:
    """Sends claimed reminders through the app's agent and channels."""

    def __init__(self, app: Sanic, store: ReminderStore) -> None:
        self.app = app
        self.store = store

    async def _still_ours(self, reminder: Reminder) -> bool:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(None, self.store.still_claimed, reminder.id, reminder.claimed_by)

    def _output(self, reminder: Reminder) -> Optional[OutputChannel]:
        if reminder.channel == "rest":
            return CollectingOutputChannel()
        channel = (getattr(self.app.ctx, OUTPUTS_KEY, None) or {}).get(reminder.channel)
        if channel is None:
            logger.error(
                "Reminder %s: the %s channel is not mounted on this server. Fix: keep it in credentials.yml.",
                reminder.id,
                reminder.channel,
            )
            return None
        return channel.get_output_channel()

    def _not_connected(self, reminder: Reminder) -> bool:
        channel = (getattr(self.app.ctx, OUTPUTS_KEY, None) or {}).get(reminder.channel)
        connected = getattr(channel, "connected", None)
        return callable(connected) and not connected(reminder.conversation_id)

    async def __call__(self, reminder: Reminder) -> str:
        agent = getattr(self.app.ctx, "agent", None)
        if agent is None or not agent.is_ready():
            logger.error("Reminder %s: no model loaded yet; it will be retried.", reminder.id)
            return RETRY
        if self._not_connected(reminder):
            return HELD
        output = self._output(reminder)
        if output is None:
            return RETRY
        async with agent.lock_store.lock(reminder.conversation_id):
            if not await self._still_ours(reminder):
                return GONE
            tracker = await self._execute(agent, reminder.conversation_id, ACTION_REMINDER_DUE, output)
            if not bot_spoke(tracker):
                return RETRY
            # Then listen, as after any bot turn: the user's answer (解决了 …) is predicted by the rules.
            await self._execute(agent, reminder.conversation_id, ACTION_LISTEN_NAME, output)
        return DELIVERED

    @staticmethod
    async def _execute(
        agent: Any, conversation_id: str, action: str, output: OutputChannel
    ) -> Optional[DialogueStateTracker]:
        prediction = PolicyPrediction.for_action_name(agent.domain, action, None, 1.0)
        return await agent.processor.execute_action(conversation_id, action, output, agent.nlg, prediction)
