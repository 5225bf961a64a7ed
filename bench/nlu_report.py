"""reports/nlu.md: the Markdown of one `make eval` run."""

from __future__ import annotations

import argparse
import datetime as dt
import subprocess
from pathlib import Path
from typing import Dict, List, Optional, Sequence

from bench.calibration import ASK_COST, WRONG_COST, operating_point, sweep
from bench.classifiers import Prediction, diet_epochs, nlu_config, stock_zh_config
from bench.nlu_data import Example
from bench.nlu_eval import CLASSIFIERS, OURS, RASA_EXTRACTOR, ROOT, STOCK, TFIDF, EvalRun
from bench.nlu_metrics import (
    CLEAR_LEAD_P,
    IntentScore,
    PairedComparison,
    Summary,
    accuracy,
    paired_comparison,
    per_intent,
    plot_confusion,
    rasa_wallet_f1,
    summarize,
    worst_errors,
)

LABELS = {
    OURS: "ours (config.yml: normalised domain jieba + wallet names + char n-grams + DIET)",
    STOCK: "stock Rasa zh (JiebaTokenizer, default pipeline, DIET)",
    TFIDF: "char 1–3-gram TF-IDF + LogisticRegression",
}
SHORT = {OURS: "ours", STOCK: "stock zh", TFIDF: "TF-IDF+LR"}
CONFUSION_PNG = "nlu_confusion.png"


def pct(value: Optional[float]) -> str:
    return "—" if value is None else f"{value:.1%}"


def f3(value: Optional[float]) -> str:
    return "—" if value is None else f"{value:.3f}"


def cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _relative(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def _commit() -> str:
    result = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    dirty = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True).stdout
    return result.stdout.strip() + (" + uncommitted changes" if dirty.strip() else "")


def verdict(held_out: Dict[str, Summary], paired: PairedComparison) -> str:
    ours, tfidf = held_out[OURS], held_out[TFIDF]
    scores = (
        f"{pct(ours.accuracy)} vs {pct(tfidf.accuracy)} intent accuracy (macro F1 {f3(ours.macro_f1)} vs "
        f"{f3(tfidf.macro_f1)}); {paired.only_first} messages only ours gets right, {paired.only_second} only "
        f"TF-IDF (exact McNemar p = {paired.p_value:.3f})"
    )
    if ours.accuracy > tfidf.accuracy and paired.p_value < CLEAR_LEAD_P:
        return f"**Ours is clearly ahead of the TF-IDF baseline on the held-out set**: {scores}."
    if ours.accuracy > tfidf.accuracy:
        lead = f"**Ours is ahead of the TF-IDF baseline on the held-out set, but not clearly** (p ≥ {CLEAR_LEAD_P})"
        return f"{lead}: {scores}."
    tie = " (a tie)" if ours.accuracy == tfidf.accuracy else ""
    return f"**Ours does NOT beat the TF-IDF baseline on the held-out set{tie}**: {scores}."


def paired_table(paired: Dict[str, PairedComparison]) -> List[str]:
    lines = [
        "| ours vs | only ours right | only the baseline right | exact McNemar p |",
        "|---|---:|---:|---:|",
    ]
    for name, pair in paired.items():
        lines.append(f"| {SHORT[name]} | {pair.only_first} | {pair.only_second} | {pair.p_value:.3f} |")
    return lines


def comparison_table(run: EvalRun, cv: Dict[str, Summary], held_out: Dict[str, Summary]) -> List[str]:
    slice_heads = [s.name for s in run.slices]
    lines = [
        "| classifier | CV accuracy | CV macro F1 | held-out accuracy | held-out macro F1 | held-out as deployed¹ "
        "| fallback rate | wallet F1 CV / held-out² | wallet exact³ | "
        + " | ".join(f"{h}⁴" for h in slice_heads)
        + " |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|" + "---:|" * len(slice_heads),
    ]
    for name in CLASSIFIERS:
        c, h = cv.get(name), held_out[name]
        wallet_f1 = "—"
        if name in RASA_EXTRACTOR:
            cv_f1 = rasa_wallet_f1(run.raw_dir / f"cv_{name}", RASA_EXTRACTOR[name]) if c else None
            ho_f1 = rasa_wallet_f1(run.raw_dir / f"holdout_{name}", RASA_EXTRACTOR[name])
            wallet_f1 = f"{f3(cv_f1.f1 if cv_f1 else None)} / {f3(ho_f1.f1 if ho_f1 else None)}"
        slices = [pct(accuracy(s.examples, s.predictions[name])) for s in run.slices]
        lines.append(
            f"| {LABELS[name]} | {pct(c.accuracy if c else None)} | {f3(c.macro_f1 if c else None)} "
            f"| **{pct(h.accuracy)}** | {f3(h.macro_f1)} | {pct(h.deployed_accuracy)} | {pct(h.fallback_rate)} "
            f"| {wallet_f1} | {pct(h.wallet_accuracy)} | " + " | ".join(slices) + " |"
        )
    return lines


def per_intent_table(run: EvalRun) -> List[str]:
    holdout = {n: per_intent(run.holdout.examples, run.held_out[n]) for n in CLASSIFIERS}
    cv_ours: Dict[str, IntentScore] = per_intent(run.train.examples, run.cv[OURS]) if OURS in run.cv else {}
    lines = [
        "| intent | CV P | CV R | CV F1 | CV n | held-out P | held-out R | held-out F1 | held-out n "
        "| stock zh F1 | TF-IDF F1 |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for intent in sorted(holdout[OURS]):
        c = cv_ours.get(intent)
        h = holdout[OURS][intent]
        lines.append(
            f"| {intent} | {f3(c.precision if c else None)} | {f3(c.recall if c else None)} "
            f"| {f3(c.f1 if c else None)} | {c.support if c else '—'} | {f3(h.precision)} | {f3(h.recall)} "
            f"| **{f3(h.f1)}** | {h.support} | {f3(holdout[STOCK][intent].f1)} | {f3(holdout[TFIDF][intent].f1)} |"
        )
    return lines


def wallet_table(run: EvalRun) -> List[str]:
    lines = [
        "| classifier | extractor | set | precision | recall | F1 | support |",
        "|---|---|---|---:|---:|---:|---:|",
    ]
    for name, extractor in RASA_EXTRACTOR.items():
        sets = [("CV", f"cv_{name}")] if name in run.cv else []
        for label, folder in [*sets, ("held-out", f"holdout_{name}")]:
            score = rasa_wallet_f1(run.raw_dir / folder, extractor)
            if score:
                lines.append(
                    f"| {SHORT[name]} | {extractor} | {label} | {f3(score.precision)} | {f3(score.recall)} "
                    f"| {f3(score.f1)} | {score.support} |"
                )
    return lines


def slice_table(run: EvalRun) -> List[str]:
    lines = [
        "| slice | changed examples | "
        + " | ".join(f"{SHORT[n]} clean → perturbed" for n in CLASSIFIERS)
        + " | ours wallet exact (perturbed)⁵ |",
        "|---|---:|" + "---|" * len(CLASSIFIERS) + "---:|",
    ]
    for s in run.slices:
        clean_examples = [run.holdout.examples[i] for i in s.indices]
        cells = []
        for name in CLASSIFIERS:
            clean = accuracy(clean_examples, [run.held_out[name][i] for i in s.indices])
            cells.append(f"{pct(clean)} → **{pct(accuracy(s.examples, s.predictions[name]))}**")
        # No example text: the slices perturb the sealed set, whose messages are never printed.
        lines.append(
            f"| {s.name}: {s.description} | {len(s.examples)} | "
            + " | ".join(cells)
            + f" | {pct(slice_wallet_accuracy(s.examples, s.predictions[OURS]))} |"
        )
    return lines


def slice_wallet_accuracy(examples: Sequence[Example], predictions: Sequence[Prediction]) -> Optional[float]:
    """Share of slice messages whose wallets are exactly the labelled ones (none for a near-miss topic)."""
    if not examples or any(p.wallets is None for p in predictions):
        return None
    return sum(e.wallets == p.wallets for e, p in zip(examples, predictions, strict=True)) / len(examples)


def other_sets_table(run: EvalRun) -> List[str]:
    lines = [
        "| test set | n | ours accuracy | ours macro F1 | ours wallet exact | TF-IDF accuracy |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, corpus in run.others.items():
        ours = summarize(corpus.examples, run.other_predictions[name][OURS])
        tfidf = summarize(corpus.examples, run.other_predictions[name][TFIDF])
        lines.append(
            f"| `{name}` | {ours.count} | {pct(ours.accuracy)} | {f3(ours.macro_f1)} | {pct(ours.wallet_accuracy)} "
            f"| {pct(tfidf.accuracy)} |"
        )
    return lines


def calibration_table(run: EvalRun, limit: int = 5) -> List[str]:
    if OURS not in run.cv:
        return ["Skipped: calibration needs cross-validation (run without --no-cv)."]
    examples, predictions = run.train.examples, run.cv[OURS]
    points = sweep(examples, predictions)
    config = next((c for c in _fallback_config(run)), None)
    shown = points[:limit]
    if config is not None:
        shown = [*shown, operating_point(examples, predictions, *config)]
    lines = [
        f"Cost per message = {WRONG_COST:g} × answered wrong + {ASK_COST:g} × asked (see `bench/calibration.py`); "
        "cheapest first, the last row is config.yml as trained.",
        "",
        "| threshold | ambiguity_threshold | answered right | answered wrong | asked | cost |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for point in shown:
        lines.append(
            f"| {point.threshold:.2f} | {point.ambiguity:.2f} | {pct(point.answered_right)} | "
            f"{pct(point.answered_wrong)} | {pct(point.asked)} | {point.cost:.4f} |"
        )
    return lines


def _fallback_config(run: EvalRun) -> List[tuple[float, float]]:
    import yaml

    config = yaml.safe_load(run.args.config.read_text(encoding="utf-8"))
    return [
        (float(c["threshold"]), float(c["ambiguity_threshold"]))
        for c in config["pipeline"]
        if c["name"] == "FallbackClassifier"
    ]


def errors_table(run: EvalRun, limit: int = 20) -> List[str]:
    # The held-out (sealed) set's messages are never printed: reading its errors would be tuning on it.
    sets: List[tuple[str, Sequence[Example], Sequence[Prediction]]] = [
        (name, corpus.examples, run.other_predictions[name][OURS]) for name, corpus in run.others.items()
    ]
    if OURS in run.cv:
        sets.append(("CV", run.train.examples, run.cv[OURS]))
    lines = ["| # | set | text | labelled | predicted | confidence | fallback |", "|---:|---|---|---|---|---:|---|"]
    for rank, (name, example, prediction) in enumerate(worst_errors(sets, limit), start=1):
        lines.append(
            f"| {rank} | {name} | {cell(example.text)} | {example.intent} | {prediction.intent} "
            f"| {prediction.confidence:.2f} | {'yes' if prediction.fallback else ''} |"
        )
    return lines


def epochs_note(args: argparse.Namespace) -> str:
    """DIET's epochs for ours and the stock baseline, saying where they differ from the configured ones."""
    configured = diet_epochs(nlu_config(args.config))
    ours = diet_epochs(nlu_config(args.config, args.epochs))
    stock = diet_epochs(stock_zh_config(args.stock_epochs))
    ours_text = f"DIET {ours} epochs" + (
        " (as configured)" if ours == configured else f" (quick run; configured {configured})"
    )
    stock_text = f"stock zh DIET {stock} epochs" + ("" if args.stock_epochs is None else " (overridden)")
    return f"{ours_text}, {stock_text}"


def untested_intents(run: EvalRun) -> str:
    missing = sorted({e.intent for e in run.train.examples} - {e.intent for e in run.holdout.examples})
    if not missing:
        return ""
    covered = " (cross-validation covers them)" if run.cv else ""
    return f" The held-out set has no examples of {', '.join(f'`{m}`' for m in missing)}{covered}."


def write_report(run: EvalRun) -> Path:
    args = run.args
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    held_out = {n: summarize(run.holdout.examples, run.held_out[n]) for n in CLASSIFIERS}
    cv = {n: summarize(run.train.examples, p) for n, p in run.cv.items()}
    paired = {n: paired_comparison(run.holdout.examples, run.held_out[OURS], run.held_out[n]) for n in (TFIDF, STOCK)}
    panels = [("held-out, ours", run.holdout.examples, run.held_out[OURS])]
    if OURS in run.cv:
        panels.insert(0, (f"{args.folds}-fold CV, ours", run.train.examples, run.cv[OURS]))
    plot_confusion(panels, out / CONFUSION_PNG)

    epochs = epochs_note(args)
    cv_note = "skipped (--no-cv)" if args.no_cv else f"{args.folds} stratified folds, seed {args.seed}"
    if not args.stock_cv and not args.no_cv:
        cv_note += "; the stock zh pipeline is not cross-validated by default (`--stock-cv` adds it, ~2× runtime)"
    lines = [
        "# NLU evaluation",
        "",
        f"Written by `make eval` (`scripts/eval_nlu.py`) on {dt.datetime.now().strftime('%Y-%m-%d %H:%M')}, "
        f"code at {_commit()}. Runtime {run.timings['total'] / 60:.1f} min.",
        "",
        f"- Training data: `data/nlu` ({len(run.train.examples)} examples, "
        f"{len({e.intent for e in run.train.examples})} intents). Held-out: `{_relative(args.holdout)}` "
        f"({len(run.holdout.examples)} examples, never trained on"
        + (
            ", never looked at while tuning, its messages never printed: the fresh set's sealed part"
            if "sealed" in args.holdout.name
            else ""
        )
        + ")."
        + untested_intents(run),
        f"- Cross-validation: {cv_note}; {epochs}. Every cross-validated classifier uses the same folds.",
        "- Held-out, ours: the shipped model `models/wallet-assistant.tar.gz`. Baselines are trained on all of "
        "`data/nlu` in the same run.",
        "",
        verdict(held_out, paired[TFIDF]),
        "",
        "## Comparison",
        "",
        *comparison_table(run, cv, held_out),
        "",
        "Paired on the held-out messages (fallback undone): where exactly one of the two is right, and the exact "
        f"two-sided McNemar p of so lopsided a split between equals. Below {CLEAR_LEAD_P:g} the lead is called clear.",
        "",
        *paired_table(paired),
        "",
        "¹ Intent right *and* above the FallbackClassifier threshold (a fallback makes the bot ask which problem "
        "it is). The other accuracies undo the fallback, as `rasa test nlu` does. TF-IDF has no fallback.  ",
        "² Rasa's token-level entity F1 for `wallet` (`WalletEntityExtractor` for ours, DIET for stock).  ",
        "³ Held-out messages naming a wallet whose set of platform keys (after synonyms) is exactly right.  ",
        "⁴ Intent accuracy on the held-out messages each perturbation changes, or on the subset (see Robustness).",
        "",
        "## Per intent (ours)",
        "",
        *per_intent_table(run),
        "",
        "## Wallet entity (Rasa's entity reports)",
        "",
        *wallet_table(run),
        "",
        "## Robustness slices (held-out, perturbed deterministically; `bench/slices.py`)",
        "",
        *slice_table(run),
        "",
        "⁵ Messages whose set of wallets is exactly the labelled one; for near-miss topics, that no wallet is found.",
        "",
        "## Other test sets (looked at while tuning: `fresh_dev.yml` while adding training data; `fresh_hidden.yml` "
        "was the sealed part until an earlier report printed some of its errors; `fresh_round2.yml` was the sealed "
        "part until its one measurement, then its errors guided the next training data; `fresh_round4_dev.yml` is "
        "round 4's looked-at part, written like its test part; its errors were read before that was scored; "
        "`fresh_round4_opened.yml` is round 4's test part, sealed until its final figure, then opened so its errors "
        "could guide round 6's training brief)",
        "",
        *other_sets_table(run),
        "",
        "## Fallback calibration (cross-validation predictions, ours)",
        "",
        *calibration_table(run),
        "",
        f"## Confusion matrix\n\n![confusion matrix]({CONFUSION_PNG})",
        "",
        "## 20 worst errors (ours, on cross-validation and the other test sets; most confident wrong intent first)",
        "",
        *errors_table(run),
        "",
        "## Method",
        "",
        "- Rasa models are trained and scored in-process with the functions `rasa test nlu` runs (`train_nlu`, "
        "`parse_message`, `evaluate_intents`, `evaluate_entities`); Rasa's raw reports (intent_report.json, "
        "<extractor>_report.json, errors, plots) are in `reports/tmp/nlu/` (not committed). Rasa's own "
        "`--cross-validation` draws unseeded folds, so the folds are drawn here, seeded, and shared.",
        "- Stock zh pipeline: Rasa 3.6's default pipeline with `JiebaTokenizer` (no dictionary) instead of "
        "`WhitespaceTokenizer`, `ResponseSelector` dropped (no retrieval intents), DIET 100 epochs unless "
        "overridden (the Cross-validation line above says), seed 42.",
        "- TF-IDF baseline: `TfidfVectorizer(analyzer='char', ngram_range=(1, 3), sublinear_tf=True)` + "
        "`LogisticRegression(C=10)`; fixed settings, not tuned on the held-out set.",
        "- Phase timings: " + "; ".join(f"{k} {v:.0f} s" for k, v in run.timings.items() if k != "total") + ".",
        "",
    ]
    path = out / "nlu.md"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path
