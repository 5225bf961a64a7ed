"""What TEDPolicy costs and contributes: `rasa test core` on the conversation tests, with and without it.

`make bench` trains a copy of config.yml with TEDPolicy toggled (taken out, or put back if config.yml
has none; Rasa's training cache reuses the NLU components, so only the policies train), then runs this
module once per model (ours, the toggled one) in a subprocess:

    python -m bench.ted --model models/wallet-assistant.tar.gz --stories tests/conversations --out DIR

It loads the model, times every dialogue prediction `rasa test core` makes
(`MessageProcessor.predict_next_with_tracker_if_should`: featurisation and all policies, no NLU),
runs Rasa's own core evaluation (`rasa.core.test.test`, what `rasa test core` calls) and writes
ted-result.json into --out: action accuracy, stories without a prediction error, predictions and their times.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

import yaml

ROOT = Path(__file__).resolve().parent.parent
RASA = str(Path(sys.executable).parent / "rasa")
CONVERSATION_TESTS = ROOT / "tests" / "conversations"
RESULT_FILE = "ted-result.json"


@dataclass
class CoreTest:
    """One model's `rasa test core` on the conversation tests."""

    label: str
    action_accuracy: float = float("nan")
    stories_correct: int = 0
    stories_total: int = 0
    prediction_ms: List[float] = field(default_factory=list)
    training_seconds: Optional[float] = None
    problem: str = ""


TED_POLICY = {"name": "TEDPolicy", "max_history": 4, "epochs": 40, "constrain_similarities": True, "random_seed": 42}
"""The TEDPolicy config.yml had until issue 15 measured it, put back to measure it when config.yml has none."""


def has_ted(config: Path) -> bool:
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    return any(p.get("name") == "TEDPolicy" for p in data["policies"])


def config_toggling_ted(config: Path, out: Path) -> Path:
    """config.yml with TEDPolicy taken out of `policies` if it is there, else appended; nothing else changed."""
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    without = [p for p in data["policies"] if p.get("name") != "TEDPolicy"]
    data["policies"] = without if len(without) < len(data["policies"]) else [*without, dict(TED_POLICY)]
    out.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return out


def train_other_variant(tmp: Path, env: Dict[str, str]) -> tuple[Path, float]:
    """Train config.yml with TEDPolicy toggled into `tmp` (cwd = the project, so its training cache serves
    the NLU and, when cached, the policies)."""
    config = config_toggling_ted(ROOT / "config.yml", tmp / "config-ted-toggled.yml")
    command = [RASA, "train", "--config", str(config), "--domain", "domain.yml", "--data", "data"]
    command += ["--out", str(tmp), "--fixed-model-name", "ted-toggled"]
    started = time.monotonic()
    log = tmp / "train-ted-toggled.log"
    with log.open("wb") as handle:
        result = subprocess.run(command, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT)
    if result.returncode != 0:
        raise RuntimeError(f"training with TEDPolicy toggled failed:\n{log.read_text(errors='replace')[-3000:]}")
    return tmp / "ted-toggled.tar.gz", time.monotonic() - started


def run_core_test(label: str, model: Path, out: Path, env: Dict[str, str]) -> CoreTest:
    """This module as a subprocess on one model; its JSON line as a CoreTest."""
    out.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "bench.ted", "--model", str(model), "--out", str(out)]
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800)
    (out / "run.log").write_text(result.stdout + result.stderr, encoding="utf-8")
    written = out / RESULT_FILE
    if result.returncode != 0 or not written.exists():
        return CoreTest(label, problem=f"exit {result.returncode}: {result.stderr[-500:]}")
    found = json.loads(written.read_text(encoding="utf-8"))
    return CoreTest(
        label,
        action_accuracy=found["action_accuracy"],
        stories_correct=found["stories_correct"],
        stories_total=found["stories_total"],
        prediction_ms=found["prediction_ms"],
    )


async def evaluate(model: Path, stories: Path, out: Path) -> Dict[str, Any]:
    from rasa.core.agent import Agent
    from rasa.core.processor import MessageProcessor
    from rasa.core.test import test
    from rasa.utils.common import configure_logging_and_warnings

    configure_logging_and_warnings(logging.WARNING)
    agent = Agent.load(str(model))
    timings: List[float] = []
    original = MessageProcessor.predict_next_with_tracker_if_should

    def timed(self: MessageProcessor, tracker: Any) -> Any:
        started = time.perf_counter()
        try:
            return original(self, tracker)
        finally:
            timings.append((time.perf_counter() - started) * 1000)

    MessageProcessor.predict_next_with_tracker_if_should = timed  # type: ignore[method-assign]
    try:
        result = await test(str(stories), agent, out_directory=str(out), disable_plotting=True)
    finally:
        MessageProcessor.predict_next_with_tracker_if_should = original  # type: ignore[method-assign]
    conversations = json.loads((out / "story_report.json").read_text(encoding="utf-8"))["conversation_accuracy"]
    return {
        "action_accuracy": float(result["accuracy"]),
        "stories_correct": int(conversations["correct"]),
        "stories_total": int(conversations["total"]),
        "prediction_ms": timings,
    }


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, required=True)
    parser.add_argument("--stories", type=Path, default=CONVERSATION_TESTS)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    found = asyncio.run(evaluate(args.model, args.stories, args.out))
    (args.out / RESULT_FILE).write_text(json.dumps(found), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
