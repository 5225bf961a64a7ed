"""The prebuilt action-response validator: pinned to the Rasa code it adapts, and still strict."""

from __future__ import annotations

from typing import Iterator

import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.utils.endpoints import EndpointConfig

from bot import action_validation


@pytest.fixture
def prebuilt() -> Iterator[None]:
    original = RemoteAction._validate_action_result
    action_validation.install_prebuilt_validator()
    yield
    RemoteAction._validate_action_result = original  # type: ignore[method-assign]


def remote() -> RemoteAction:
    return RemoteAction("action_answer_problem", EndpointConfig("http://127.0.0.1:1/webhook"))


def test_the_pins_match_the_installed_rasa() -> None:
    action_validation.check_pinned_code()


def test_a_changed_method_stops_the_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(action_validation.PINNED_SOURCES, "_validate_action_result", "0" * 16)
    with pytest.raises(action_validation.AdaptationMismatch, match="_validate_action_result changed"):
        action_validation.check_pinned_code()


def test_another_rasa_version_stops_the_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(action_validation, "PINNED_RASA_VERSION", "3.6.20")
    with pytest.raises(action_validation.AdaptationMismatch, match="pinned to Rasa 3.6.20"):
        action_validation.check_pinned_code()


def test_valid_responses_pass_and_malformed_ones_are_still_rejected(prebuilt: None) -> None:
    assert getattr(RemoteAction._validate_action_result, "prebuilt", False)
    action = remote()
    good = {"events": [{"event": "slot", "name": "problem", "value": "topup_failure"}], "responses": [{"text": "好"}]}
    assert action._validate_action_result(good)
    for bad in (
        {"events": [{"name": "problem"}]},  # an event without its type
        {"events": "slot"},
        {"responses": ["不是对象"]},
    ):
        with pytest.raises(ValidationError, match="Failed to validate Action server response"):
            action._validate_action_result(bad)


def test_installing_twice_keeps_one_validator(prebuilt: None) -> None:
    assert action_validation.install_prebuilt_validator() is False
