"""`make eval`: cross-validation, held-out set and robustness slices, ours beside two baselines.

The Rasa models are trained and scored in this process with the functions `rasa test nlu`
calls (`train_nlu`, `parse_message`, `evaluate_intents`, `evaluate_entities`). That is the
same computation as `rasa test nlu --cross-validation`, except that the folds are seeded here
(Rasa's own StratifiedKFold is not), so all three classifiers see exactly the same folds.
"""

from __future__ import annotations

import argparse
import gc
import logging
import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from bench.classifiers import (
    Prediction,
    RasaClassifier,
    Scored,
    TfidfClassifier,
    nlu_config,
    stock_zh_config,
    train_rasa_nlu,
)
from bench.nlu_data import LOOKED_AT_SETS, SEALED_SETS, Corpus, Example, load_corpus, stratified_folds, subset
from bench.slices import SLICES

ROOT = Path(__file__).resolve().parent.parent
OURS, STOCK, TFIDF = "ours", "stock_zh", "tfidf_lr"
CLASSIFIERS = (OURS, STOCK, TFIDF)
RASA_EXTRACTOR = {OURS: "WalletEntityExtractor", STOCK: "DIETClassifier"}

logger = logging.getLogger(__name__)


@dataclass
class SliceResult:
    name: str
    description: str
    indices: List[int]
    examples: List[Example]
    predictions: Dict[str, List[Prediction]]


@dataclass
class EvalRun:
    """Everything the report needs, gathered by one run."""

    args: argparse.Namespace
    train: Corpus
    holdout: Corpus
    folds: List[Tuple[List[int], List[int]]]
    others: Dict[str, Corpus] = field(default_factory=dict)  # further test sets, ours and TF-IDF only
    other_predictions: Dict[str, Dict[str, List[Prediction]]] = field(default_factory=dict)
    cv: Dict[str, List[Prediction]] = field(default_factory=dict)  # in training-example order
    held_out: Dict[str, List[Prediction]] = field(default_factory=dict)
    slices: List[SliceResult] = field(default_factory=list)
    timings: Dict[str, float] = field(default_factory=dict)
    raw_dir: Path = ROOT / "reports" / "tmp" / "nlu"


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=5, help="cross-validation folds (default 5)")
    parser.add_argument("--epochs", type=int, default=None, help="override DIET epochs for quick runs")
    parser.add_argument(
        "--stock-epochs",
        type=int,
        default=None,
        help="DIET epochs of the stock zh baseline (default: --epochs, else its own 100); "
        "it has two transformer layers, so each epoch costs about a minute on two cores",
    )
    parser.add_argument("--seed", type=int, default=42, help="seed of the shared folds")
    parser.add_argument("--no-cv", action="store_true", help="skip cross-validation (held-out and slices only)")
    parser.add_argument(
        "--stock-cv", action="store_true", help="cross-validate the stock zh pipeline too (about doubles the runtime)"
    )
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "wallet-assistant.tar.gz")
    parser.add_argument("--config", type=Path, default=ROOT / "config.yml")
    parser.add_argument("--train-data", type=Path, default=ROOT / "data" / "nlu")
    parser.add_argument(
        "--holdout",
        type=Path,
        default=ROOT / "tests" / "nlu" / SEALED_SETS[0],
        help="the test set of the headline figures (default: the newest sealed part, bench.nlu_data.SEALED_SETS[0])",
    )
    parser.add_argument(
        "--other",
        type=Path,
        nargs="*",
        default=[ROOT / "tests" / "nlu" / n for n in LOOKED_AT_SETS],
        help="further test sets scored by ours and TF-IDF (default: the fresh set's looked-at parts, the old holdout)",
    )
    parser.add_argument("--out", type=Path, default=ROOT / "reports", help="where nlu.md and the PNG go")
    args = parser.parse_args(argv)
    if args.stock_epochs is None:
        args.stock_epochs = args.epochs  # the stock baseline follows --epochs unless told otherwise
    return args


class Stopwatch:
    def __init__(self, timings: Dict[str, float], name: str) -> None:
        self._timings, self._name = timings, name

    def __enter__(self) -> None:
        self._start = time.monotonic()
        logger.info("== %s", self._name)

    def __exit__(self, *_exc: object) -> None:
        self._timings[self._name] = time.monotonic() - self._start
        logger.info("== %s done in %.0f s", self._name, self._timings[self._name])


def rasa_fold_predictions(run: EvalRun, name: str, config: dict, workdir: Path) -> List[Prediction]:
    """Train one Rasa model per fold; pooled test-fold predictions in example order."""
    messages = run.train.data.intent_examples
    stitched: Dict[int, Prediction] = {}
    pooled = Scored([], [], [])
    for fold, (train_idx, test_idx) in enumerate(run.folds):
        logger.info("%s: fold %d/%d", name, fold + 1, len(run.folds))
        model = train_rasa_nlu(config, subset(run.train.data, train_idx), workdir / f"{name}-fold{fold}", name)
        classifier = RasaClassifier(model)
        scored = classifier.score([messages[i] for i in test_idx])
        classifier.close()
        del classifier
        gc.collect()
        stitched.update(zip(test_idx, scored.predictions, strict=True))
        pooled.extend(scored)
    pooled.write_rasa_reports(run.raw_dir / f"cv_{name}")
    return [stitched[i] for i in range(len(messages))]


def tfidf_fold_predictions(run: EvalRun) -> List[Prediction]:
    examples = run.train.examples
    stitched: Dict[int, Prediction] = {}
    for train_idx, test_idx in run.folds:
        model = TfidfClassifier().fit([examples[i] for i in train_idx])
        stitched.update(zip(test_idx, model.predict([examples[i].text for i in test_idx]), strict=True))
    return [stitched[i] for i in range(len(examples))]


def evaluate(run: EvalRun, workdir: Path) -> None:
    args = run.args
    ours_config = nlu_config(args.config, args.epochs)
    stock_config = stock_zh_config(args.stock_epochs)
    if not args.no_cv:
        with Stopwatch(run.timings, f"cross-validation ours ({args.folds} folds)"):
            run.cv[OURS] = rasa_fold_predictions(run, OURS, ours_config, workdir)
        if args.stock_cv:
            with Stopwatch(run.timings, f"cross-validation stock zh ({args.folds} folds)"):
                run.cv[STOCK] = rasa_fold_predictions(run, STOCK, stock_config, workdir)
        with Stopwatch(run.timings, "cross-validation TF-IDF"):
            run.cv[TFIDF] = tfidf_fold_predictions(run)

    predictors: Dict[str, Callable[[Sequence[str]], List[Prediction]]] = {}
    holdout_messages = run.holdout.data.intent_examples
    with Stopwatch(run.timings, "held-out ours (models/wallet-assistant.tar.gz)"):
        ours = RasaClassifier(args.model)
        scored = ours.score(holdout_messages)
        scored.write_rasa_reports(run.raw_dir / f"holdout_{OURS}")
        run.held_out[OURS], predictors[OURS] = scored.predictions, ours.predict
    with Stopwatch(run.timings, "held-out stock zh (train + test)"):
        stock = RasaClassifier(train_rasa_nlu(stock_config, run.train.data, workdir / "stock-full", STOCK))
        scored = stock.score(holdout_messages)
        scored.write_rasa_reports(run.raw_dir / f"holdout_{STOCK}")
        run.held_out[STOCK], predictors[STOCK] = scored.predictions, stock.predict
    with Stopwatch(run.timings, "held-out TF-IDF"):
        tfidf = TfidfClassifier().fit(run.train.examples)
        run.held_out[TFIDF], predictors[TFIDF] = tfidf.predict([e.text for e in run.holdout.examples]), tfidf.predict

    with Stopwatch(run.timings, "other test sets (ours, TF-IDF)"):
        for name, corpus in run.others.items():
            texts = [e.text for e in corpus.examples]
            run.other_predictions[name] = {OURS: ours.predict(texts), TFIDF: tfidf.predict(texts)}

    with Stopwatch(run.timings, "robustness slices"):
        for spec in SLICES:
            indices, examples = spec.apply(run.holdout.examples)
            texts = [e.text for e in examples]
            run.slices.append(
                SliceResult(
                    spec.name, spec.description, indices, examples, {n: p(texts) for n, p in predictors.items()}
                )
            )
    ours.close()
    stock.close()


def run_eval(argv: Optional[Sequence[str]] = None) -> EvalRun:
    """Parse the flags, evaluate the three classifiers, return the results."""
    args = parse_args(argv)
    if not args.model.exists():
        raise SystemExit(f"{args.model} is missing: run `make train` first.")
    started = time.monotonic()
    train = load_corpus(args.train_data)
    holdout = load_corpus(args.holdout, synonyms=train.data.entity_synonyms)
    folds = stratified_folds([e.intent for e in train.examples], args.folds, args.seed)
    others = {path.name: load_corpus(path, synonyms=train.data.entity_synonyms) for path in args.other}
    run = EvalRun(args, train, holdout, folds, others)
    shutil.rmtree(run.raw_dir, ignore_errors=True)  # a report must never read a previous run's files
    with tempfile.TemporaryDirectory(prefix="wallet-eval-") as tmp:
        # A private training cache: fold models must not crowd out the main model's cache entries.
        os.environ["RASA_CACHE_DIRECTORY"] = str(Path(tmp) / "cache")
        evaluate(run, Path(tmp))
    run.timings["total"] = time.monotonic() - started
    return run
