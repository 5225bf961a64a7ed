"""Where the Rasa server spends a turn of ours: the model loaded in this process, pyinstrument around
`Agent.handle_message`, our action server on loopback, an SQLite tracker store.

Each stage is counted once per stack (inclusive), so nested stages are not double-counted
within themselves; the shares are of the total `handle_message` time.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from bench.load import Flow

ROOT = Path(__file__).resolve().parent.parent

# (stage, predicate on (function, file path, class name)); the first match on a stack wins for that stage.
STAGES: Tuple[Tuple[str, Callable[[str, str, str], bool]], ...] = (
    ("NLU (parse_message)", lambda f, p, c: f == "parse_message" and p.endswith("rasa/core/processor.py")),
    (
        "policies (predict next action)",
        lambda f, p, c: f == "_predict_next_with_tracker" and p.endswith("rasa/core/processor.py"),
    ),
    ("custom actions (RemoteAction.run, incl. HTTP)", lambda f, p, c: f == "run" and c == "RemoteAction"),
    (
        "… of which jsonschema.validate of the response",
        lambda f, p, c: f == "_validate_action_result" and c == "RemoteAction",
    ),
    ("tracker store: save", lambda f, p, c: f == "save" and "tracker_store.py" in p),
    (
        "tracker store: retrieve",
        lambda f, p, c: f in ("retrieve", "retrieve_full_tracker") and "tracker_store.py" in p,
    ),
    ("our bot/ code (NLU components, stores)", lambda f, p, c: p.startswith(str(ROOT / "bot"))),
)


@dataclass
class RasaTurnProfile:
    conversations: int = 0
    turn_ms: Dict[int, List[float]] = field(default_factory=dict)  # turn number → latencies
    stage_share: Dict[str, float] = field(default_factory=dict)
    validate_ms: float = float("nan")  # jsonschema.validate as Rasa calls it
    cached_validate_ms: float = float("nan")  # the same check with a validator built once


def stage_shares(root: Any) -> Dict[str, float]:
    """Inclusive time of each stage as a share of the root's time."""
    totals: Dict[str, float] = defaultdict(float)
    stack: List[Tuple[Any, frozenset]] = [(root, frozenset())]
    while stack:
        frame, seen = stack.pop()
        function, path, cls = frame.function or "", frame.file_path or "", frame.class_name or ""
        for stage, matches in STAGES:
            if stage not in seen and matches(function, path, cls):
                totals[stage] += frame.time
                seen = seen | {stage}
        stack += [(child, seen) for child in frame.children]
    return {stage: totals.get(stage, 0.0) / root.time for stage, _ in STAGES} if root.time else {}


def validator_costs(repeats: int = 50) -> Tuple[float, float]:
    """Milliseconds per response check: Rasa's `jsonschema.validate` call, and a prebuilt validator."""
    from jsonschema import validate, validators
    from rasa.core.actions.action import RemoteAction

    schema = RemoteAction.action_response_format_spec()
    response = {
        "events": [{"event": "slot", "name": "problem", "value": "topup_failure", "timestamp": None}],
        "responses": [{"text": "第一步", "buttons": [], "elements": [], "custom": {}, "image": None}] * 4,
    }
    prebuilt = validators.validator_for(schema)(schema)
    costs = []
    for check in (lambda: validate(response, schema), lambda: prebuilt.validate(response)):
        check()
        started = time.perf_counter()
        for _ in range(repeats):
            check()
        costs.append((time.perf_counter() - started) / repeats * 1000)
    return costs[0], costs[1]


def profile_rasa_turns(
    model: Path, actions_url: str, tracker_db: Path, flows: Sequence[Flow], repeats: int
) -> RasaTurnProfile:
    """Warm up, time `repeats` conversations per flow, then profile as many again."""
    from pyinstrument import Profiler
    from rasa.core.agent import Agent
    from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.utils.endpoints import EndpointConfig

    from bot.action_validation import install_prebuilt_validator

    install_prebuilt_validator()  # as the served bot does (its health channel installs it)
    agent = Agent.load(
        str(model),
        action_endpoint=EndpointConfig(actions_url),
        tracker_store=SQLTrackerStore(dialect="sqlite", db=str(tracker_db)),
    )
    result = RasaTurnProfile(conversations=repeats * len(flows))

    async def conversation(flow: Flow, profiler: Optional[Any] = None) -> None:
        sender = f"profile-{flow.name}-{uuid.uuid4().hex[:8]}"
        for number, (text, expected) in enumerate(flow.turns):
            output = CollectingOutputChannel()
            if profiler is not None:
                profiler.start()
            started = time.perf_counter()
            await agent.handle_message(UserMessage(text, output, sender))
            seconds = time.perf_counter() - started
            if profiler is not None:
                profiler.stop()
            else:
                result.turn_ms.setdefault(number, []).append(seconds * 1000)
            reply = "\n".join(str(m.get("text") or "") for m in output.messages)
            if expected not in reply:
                raise RuntimeError(f"{flow.name}: {text!r} got {reply[:200]!r}, expected {expected!r}")

    async def drive() -> Any:
        for flow in flows:  # warm-up, not recorded
            await conversation(flow)
        result.turn_ms.clear()
        for _ in range(repeats):
            for flow in flows:
                await conversation(flow)
        profiler = Profiler(interval=0.0005, async_mode="enabled")
        for _ in range(repeats):
            for flow in flows:
                await conversation(flow, profiler)
        return profiler.last_session

    session = asyncio.run(drive())
    root = session.root_frame() if session else None
    if root is not None:
        result.stage_share = stage_shares(root)
    result.validate_ms, result.cached_validate_ms = validator_costs()
    return result
