"""How the blender's settings (mask_wallets, C, weight) were chosen, reproducible from the repo.

    make blend-sweep                       # or: python -m bench.blend_sweep --help

DIET's ranking does not depend on the blender, so the shipped model parses each message of the
looked-at test sets once, up to DIETClassifier (its entities included, for the wallet mark). For
every (mask_wallets, C) the n-gram model of bot/nlu/intent_blend.py is fitted on data/nlu, and
for every weight each message's intent is the top of `blend(DIET's ranking, n-gram
probabilities, weight)`: the same functions the component runs. The table gives intent
accuracy per set and their mean; the shipped setting (config.yml) is marked.

Sealed sets are refused: choosing a setting on them would spend them.
"""

from __future__ import annotations

import argparse
import itertools
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

import yaml
from rasa.core.agent import Agent
from rasa.core.channels.channel import UserMessage
from rasa.engine.constants import PLACEHOLDER_MESSAGE, PLACEHOLDER_TRACKER
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY, PREDICTED_CONFIDENCE_KEY, TEXT
from rasa.shared.nlu.training_data.loading import load_data
from rasa.shared.nlu.training_data.message import Message

from bench.nlu_data import LOOKED_AT_SETS
from bot.nlu.intent_blend import CharNgramIntentBlender, blend, build_ngram_model, intent_text

ROOT = Path(__file__).resolve().parents[1]
BLENDER = "bot.nlu.intent_blend.CharNgramIntentBlender"


@dataclass(frozen=True)
class Parsed:
    """A test message as DIET left it: its ranking and entities, plus the right intent."""

    message: Message
    ranking: Tuple[Tuple[str, float], ...]
    intent: str


@dataclass(frozen=True)
class Setting:
    mask_wallets: bool
    C: float
    weight: float


def accuracy(parsed: Sequence[Parsed], probabilities: Sequence[Dict[str, float]], weight: float, length: int) -> float:
    """Share of messages whose blended top intent is the right one."""
    right = 0
    for item, row in zip(parsed, probabilities, strict=True):
        ranking = [{INTENT_NAME_KEY: n, PREDICTED_CONFIDENCE_KEY: c} for n, c in item.ranking]
        right += blend(ranking, row, weight, length)[0][INTENT_NAME_KEY] == item.intent
    return right / len(parsed) if parsed else 0.0


def sweep(
    training: Sequence[Message],
    sets: Mapping[str, Sequence[Parsed]],
    masks: Sequence[bool],
    cs: Sequence[float],
    weights: Sequence[float],
    base_config: Mapping[str, Any],
) -> List[Tuple[Setting, Dict[str, float]]]:
    """Accuracy per set for every setting; one n-gram fit per (mask, C)."""
    results = []
    labels = [str(m.get(INTENT)) for m in training]
    for mask, c in itertools.product(masks, cs):
        model = build_ngram_model({**base_config, "C": c})
        model.fit([intent_text(m, mask) for m in training], labels)
        classes = [str(k) for k in model.classes_]
        probabilities = {
            name: [
                dict(zip(classes, map(float, row), strict=True))
                for row in model.predict_proba([intent_text(p.message, mask) for p in parsed])
            ]
            for name, parsed in sets.items()
        }
        for weight in weights:
            scores = {
                name: accuracy(parsed, probabilities[name], weight, int(base_config["ranking_length"]))
                for name, parsed in sets.items()
            }
            results.append((Setting(mask, c, weight), scores))
    return results


def blender_config(config_path: Path) -> Dict[str, Any]:
    """The blender's step in config.yml, its defaults filled in: the base every setting varies."""
    config = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    step = next(s for s in config["pipeline"] if s["name"] == BLENDER)
    return {**CharNgramIntentBlender.get_default_config(), **step}


def shipped_setting(config: Mapping[str, Any]) -> Setting:
    """The setting a blender config ships."""
    return Setting(bool(config["mask_wallets"]), float(config["C"]), float(config["weight"]))


def table(results: Sequence[Tuple[Setting, Dict[str, float]]], shipped: Setting) -> str:
    """Markdown table, best mean first."""
    names = list(results[0][1]) if results else []
    lines = [
        "| mask | C | weight | " + " | ".join(names) + " | mean |",
        "|---|---:|---:|" + "---:|" * (len(names) + 1),
    ]
    ordered = sorted(results, key=lambda r: -sum(r[1].values()) / len(r[1]))
    for setting, scores in ordered:
        mark = " ← shipped" if setting == shipped else ""
        cells = " | ".join(f"{scores[n]:.3f}" for n in names)
        mean = sum(scores.values()) / len(scores)
        lines.append(f"| {setting.mask_wallets} | {setting.C:g} | {setting.weight:g} | {cells} | {mean:.3f}{mark} |")
    return "\n".join(lines)


def parse_up_to_diet(model_path: Path, files: Sequence[Path]) -> Dict[str, List[Parsed]]:
    """Each test message parsed by the shipped model as far as DIETClassifier."""
    processor = Agent.load(str(model_path)).processor
    if processor is None:
        raise SystemExit(f"{model_path} did not load: run `make train`.")
    schema = processor.model_metadata.predict_schema
    diet = next(name for name, node in schema.nodes.items() if node.uses.__name__ == "DIETClassifier")
    sets: Dict[str, List[Parsed]] = {}
    for path in files:
        parsed = []
        for example in load_data(str(path)).intent_examples:
            inputs = {
                PLACEHOLDER_MESSAGE: [UserMessage(text=str(example.get(TEXT)))],
                PLACEHOLDER_TRACKER: DialogueStateTracker("blend-sweep", []),
            }
            message = processor.graph_runner.run(inputs=inputs, targets=[diet])[diet][0]
            ranking = tuple(
                (str(r[INTENT_NAME_KEY]), float(r[PREDICTED_CONFIDENCE_KEY]))
                for r in message.get(INTENT_RANKING_KEY) or []
            )
            parsed.append(Parsed(message, ranking, str(example.get(INTENT))))
        sets[path.stem] = parsed
    return sets


def parse_args(argv: Optional[Sequence[str]]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.blend_sweep", description=__doc__.split("\n")[0])
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "wallet-assistant.tar.gz")
    parser.add_argument("--sets", type=Path, nargs="*", default=[ROOT / "tests" / "nlu" / n for n in LOOKED_AT_SETS])
    parser.add_argument("--C", type=float, nargs="*", default=[10.0, 30.0, 60.0, 100.0], dest="cs")
    parser.add_argument("--weights", type=float, nargs="*", default=[0.0, 0.7, 0.8, 0.85, 0.9, 1.0])
    parser.add_argument("--masks", choices=["on", "off", "both"], default="both")
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> None:
    args = parse_args(argv)
    sealed = [p for p in args.sets if "sealed" in p.name]
    if sealed:
        raise SystemExit(
            f"{sealed[0]} is a sealed set: choosing settings on it would spend it. Use the looked-at sets."
        )
    masks = {"on": [True], "off": [False], "both": [False, True]}[args.masks]
    config = blender_config(ROOT / "config.yml")
    training = [m for m in load_data(str(ROOT / "data" / "nlu")).intent_examples if m.get(TEXT)]
    sets = parse_up_to_diet(args.model, args.sets)
    results = sweep(training, sets, masks, args.cs, args.weights, config)
    print(table(results, shipped_setting(config)))


if __name__ == "__main__":
    main()
