"""Conversations belong to their channel (bot/channels/owner.py): keys qualified, replies to the platform id."""

from __future__ import annotations

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

from bot.channels.owner import PlatformRecipient, owned_by, platform_id, qualified


def test_the_tracker_key_names_the_channel_and_replies_use_the_platform_id() -> None:
    assert qualified("telegram", "5566") == "telegram:5566"
    assert platform_id("telegram", "telegram:5566") == "5566"
    # A REST sender that looks like another channel's key stays inside rest:.
    assert qualified("rest", "telegram:5566") == "rest:telegram:5566"
    assert platform_id("rest", "rest:telegram:5566") == "telegram:5566"
    assert platform_id("wechat", "telegram:5566") == "telegram:5566"


async def test_a_message_is_handled_in_its_channels_conversation_and_answered_to_the_raw_id() -> None:
    seen: list[str] = []

    async def rasa(message: UserMessage) -> None:
        seen.append(message.sender_id)
        await message.output_channel.send_text_with_buttons(message.sender_id, "哪个钱包？", [{"title": "支付宝"}])
        await message.output_channel.send_response(message.sender_id, {"text": "好的"})

    collector = CollectingOutputChannel()
    await owned_by("wechat", rasa)(UserMessage("你好", collector, "oOpenid_1", input_channel="wechat"))
    assert seen == ["wechat:oOpenid_1"]
    assert [m["recipient_id"] for m in collector.messages] == ["oOpenid_1", "oOpenid_1"]


async def test_external_events_addressed_by_tracker_key_reach_the_platform_id() -> None:
    collector = CollectingOutputChannel()
    await PlatformRecipient("telegram", collector).send_text_message("telegram:42", "提醒")
    assert collector.messages == [{"recipient_id": "42", "text": "提醒"}]
