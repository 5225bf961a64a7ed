"""The pure parts of `make eval` and `make bench`: perturbations, folds, statistics, turn grouping."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rasa.shared.nlu.training_data.message import Message

from bench.blend_sweep import Parsed, Setting, accuracy, blender_config, shipped_setting
from bench.blend_sweep import main as sweep_main
from bench.load import Stats
from bench.nlu_data import Example, stratified_folds, wallet_key
from bench.profile_turn import load_turns, short_name
from bench.slices import SLICES, mixed_english, traditional, typos
from tests.conftest import ROOT


def test_typos_rewrite_every_listed_slip() -> None:
    assert typos("我用支付宝充值失败，客服不理，账户被盗") == "我用支付包冲值失败，客户不理，帐户被到"


def test_traditional_keeps_le_and_changes_simplified_characters() -> None:
    assert traditional("我的钱包被盗了") == "我的錢包被盜了"


def test_mixed_english_puts_words_between_single_spaces() -> None:
    assert mixed_english("充值失败了怎么办") == "top up fail 了 what to do"


def test_slices_are_deterministic_and_only_keep_changed_examples() -> None:
    examples = [
        Example("用支付宝充值失败了", "report_topup_failure", frozenset({"alipay"})),
        Example("hello", "greet", frozenset()),
        Example("快递丢了", "out_of_scope", frozenset()),
    ]
    for spec in SLICES:
        first, second = spec.apply(examples), spec.apply(examples)
        assert first == second
        assert first[0][0] == (2 if spec.keep else 0), spec.name
        assert 1 not in first[0], spec.name


def test_wallet_slices_rename_only_the_wallet() -> None:
    by_name = {s.name: s for s in SLICES}
    text = "微信支付和支付宝都充值失败"
    assert by_name["pinyin_wallets"].transform(text) == "weixin zhifu和zhifubao都充值失败"
    assert by_name["abbreviated_wallets"].transform(text) == "VX支付和ZFB都充值失败"
    assert by_name["english_wallets"].transform(text) == "WeChat Pay和Alipay都充值失败"
    assert by_name["traditional_wallets"].transform("京东钱包充值失败") == "京東錢包充值失败"


def test_folds_are_seeded_stratified_and_cover_every_example_once() -> None:
    intents = ["a"] * 10 + ["b"] * 5
    folds = stratified_folds(intents, 5, seed=42)
    assert folds == stratified_folds(intents, 5, seed=42)
    tested = sorted(i for _, test in folds for i in test)
    assert tested == list(range(15))
    assert all(sum(intents[i] == "b" for i in test) == 1 for _, test in folds)


def test_wallet_names_map_to_platform_keys_through_synonyms() -> None:
    synonyms = {"支付宝": "alipay", "wechat pay": "wechat_pay"}
    assert wallet_key("支付宝", synonyms) == "alipay"
    assert wallet_key("WeChat Pay", synonyms) == "wechat_pay"
    assert wallet_key("unknown", synonyms) == "unknown"


def test_stats_are_in_milliseconds() -> None:
    stats = Stats.of([0.010] * 99 + [1.0])
    assert stats.count == 100
    assert stats.p50 == pytest.approx(10.0)
    assert stats.p99 > stats.p95 >= stats.p50


def test_recorded_calls_are_grouped_into_turns(tmp_path: Path) -> None:
    def call(number: int, action: str, user_messages: int) -> None:
        events = [{"event": "user", "text": f"m{i}"} for i in range(user_messages)]
        tracker = {"events": events, "latest_message": {"text": f"m{user_messages - 1}"}}
        body = {"next_action": action, "sender_id": "bench-letter-0a1b2c", "tracker": tracker}
        (tmp_path / f"{number:04d}.json").write_text(json.dumps(body), encoding="utf-8")

    call(1, "validate_complaint_letter_form", 1)
    call(2, "action_write_complaint_letter", 1)
    call(3, "action_give_next_escalation_step", 2)
    turns = load_turns(tmp_path)
    assert [t.actions for t in turns] == [
        ("validate_complaint_letter_form", "action_write_complaint_letter"),
        ("action_give_next_escalation_step",),
    ]
    assert short_name(turns[0].key) == "letter #1 m0"


def test_calibration_prefers_asking_over_confident_mistakes() -> None:
    from bench.calibration import operating_point, sweep
    from bench.classifiers import Prediction

    examples = [Example(str(i), "a", frozenset()) for i in range(4)]
    predictions = [
        Prediction("a", 0.95, False, None, 0.9),
        Prediction("a", 0.90, False, None, 0.8),
        Prediction("b", 0.50, False, None, 0.05),  # unsure and wrong: should be asked
        Prediction("a", 0.60, False, None, 0.3),
    ]
    best = sweep(examples, predictions)[0]
    assert operating_point(examples, predictions, best.threshold, best.ambiguity).answered_wrong == 0
    assert best.answered_right == 0.75


def test_interleaved_single_user_alternates_the_bots() -> None:
    import asyncio

    from bench.load import Flow, interleaved_single_user

    calls: list[str] = []

    class FakeClient:
        def __init__(self, name: str) -> None:
            self.name = name

        async def conversation(self, flow: Flow) -> list[float]:
            calls.append(f"{self.name}:{flow.name}")
            return [0.01]

    ours = (Flow("a", (("x", ""),)), Flow("b", (("y", ""),)))
    plain = (Flow("p", (("z", ""),)),)
    pairs = [(FakeClient("ours"), ours), (FakeClient("plain"), plain)]
    ours_result, plain_result = asyncio.run(interleaved_single_user(pairs, 1))  # type: ignore[arg-type]
    assert calls == ["ours:a", "plain:p", "ours:b", "plain:p"]
    assert len(ours_result["a"]) == len(ours_result["b"]) == 1 and len(plain_result["p"]) == 2


def test_toggling_ted_changes_only_the_policies(tmp_path: Path) -> None:
    import yaml

    from bench.ted import config_toggling_ted
    from tests.conftest import ROOT

    original = yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8"))
    once = config_toggling_ted(ROOT / "config.yml", tmp_path / "once.yml")
    twice = yaml.safe_load(config_toggling_ted(once, tmp_path / "twice.yml").read_text(encoding="utf-8"))
    toggled = yaml.safe_load(once.read_text(encoding="utf-8"))
    names = [p["name"] for p in original["policies"]]
    assert ("TEDPolicy" in names) != ("TEDPolicy" in [p["name"] for p in toggled["policies"]])
    assert [p["name"] for p in twice["policies"]] == names
    assert toggled["pipeline"] == original["pipeline"]


def test_store_calls_run_inline_on_sqlite_and_in_threads_when_a_store_is_networked() -> None:
    from actions.base import runs_store_calls_inline
    from assistant_core.settings import Settings

    sqlite = {"KNOWLEDGE_DB_URL": "sqlite:////tmp/k.db"}
    assert runs_store_calls_inline(Settings.from_env(sqlite))
    postgres = "postgresql://wallet@127.0.0.1/wallet"
    assert not runs_store_calls_inline(Settings.from_env({**sqlite, "CASES_DB_URL": postgres}))
    assert not runs_store_calls_inline(Settings.from_env({"KNOWLEDGE_DB_URL": postgres}))
    assert not runs_store_calls_inline(Settings.from_env({**sqlite, "STORE_CALLS": "threads"}))
    assert runs_store_calls_inline(Settings.from_env({"KNOWLEDGE_DB_URL": postgres, "STORE_CALLS": "INLINE"}))
    with pytest.raises(ValueError, match="STORE_CALLS must be one of auto, threads, inline"):
        Settings.from_env({"STORE_CALLS": "sometimes"})


def test_blend_sweep_scores_diet_alone_at_weight_zero_and_the_ngram_model_alone_at_one() -> None:
    message = Message(data={"text": "zfb充值没到账"})
    parsed = [Parsed(message, (("ask_next_step", 0.6), ("report_topup_failure", 0.4)), "report_topup_failure")]
    ngram = [{"report_topup_failure": 0.9, "ask_next_step": 0.1}]
    assert accuracy(parsed, ngram, weight=0.0, length=10) == 0.0
    assert accuracy(parsed, ngram, weight=1.0, length=10) == 1.0


def test_blend_sweep_marks_the_setting_config_yml_ships() -> None:
    assert shipped_setting(blender_config(ROOT / "config.yml")) == Setting(mask_wallets=True, C=60.0, weight=0.85)


def test_blend_sweep_refuses_a_sealed_set() -> None:
    with pytest.raises(SystemExit, match="sealed set"):
        sweep_main(["--sets", str(ROOT / "tests" / "nlu" / "fresh_sealed.yml")])


def test_the_lead_over_tfidf_is_called_clear_only_when_the_paired_split_is_unlikely_between_equals() -> None:
    from bench.classifiers import Prediction
    from bench.nlu_eval import OURS, TFIDF
    from bench.nlu_metrics import paired_comparison, summarize
    from bench.nlu_report import verdict

    examples = [Example(str(i), "a", frozenset()) for i in range(20)]
    right, wrong = Prediction("a", 0.9, False, None, 0.5), Prediction("b", 0.9, False, None, 0.5)
    ours = [right] * 20
    # Six messages only ours gets right, none the other way: 2 × 0.5**6 = 0.031.
    six_ahead = [wrong] * 6 + [right] * 14
    paired = paired_comparison(examples, ours, six_ahead)
    assert (paired.only_first, paired.only_second) == (6, 0)
    assert paired.p_value == pytest.approx(2 / 64)
    clear = verdict({OURS: summarize(examples, ours), TFIDF: summarize(examples, six_ahead)}, paired)
    assert "clearly ahead" in clear and "not clearly" not in clear
    # Two messages ahead is a lead, but 2 × 0.5**2 = 0.5 is no evidence of one.
    two_ahead = [wrong] * 2 + [right] * 18
    paired = paired_comparison(examples, ours, two_ahead)
    assert paired.p_value == pytest.approx(0.5)
    assert "not clearly" in verdict({OURS: summarize(examples, ours), TFIDF: summarize(examples, two_ahead)}, paired)
    # Each right where the other is wrong, equally often: no lead at all.
    swapped = paired_comparison(examples, [wrong] * 3 + [right] * 17, [right] * 3 + [wrong] * 3 + [right] * 14)
    assert (swapped.only_first, swapped.only_second, swapped.p_value) == (3, 3, 1.0)


def test_the_report_says_which_epochs_each_classifier_was_trained_with() -> None:
    from bench.nlu_eval import parse_args
    from bench.nlu_report import epochs_note

    configured = parse_args([])
    assert epochs_note(configured) == "DIET 80 epochs (as configured), stock zh DIET 100 epochs"
    # Stating the configured value is no quick run; a cheaper stock baseline is said to be one.
    same = parse_args(["--epochs", "80", "--stock-epochs", "30"])
    assert epochs_note(same) == "DIET 80 epochs (as configured), stock zh DIET 30 epochs (overridden)"
    quick = parse_args(["--epochs", "5"])
    assert epochs_note(quick) == "DIET 5 epochs (quick run; configured 80), stock zh DIET 5 epochs (overridden)"
