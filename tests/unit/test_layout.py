"""The layout the two processes rely on: a pure shared package, domain values that follow the seed."""

from __future__ import annotations

import ast
from pathlib import Path

import yaml

from assistant_core.seed import load_seed
from tests.conftest import ROOT, SEED_PATH

SHARED = ROOT / "assistant_core"
FORBIDDEN = ("rasa", "rasa_sdk", "bot", "actions", "sanic", "tensorflow")


def imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    roots = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def test_the_shared_package_imports_neither_process_nor_rasa() -> None:
    modules = sorted(SHARED.glob("*.py"))
    assert len(modules) >= 8
    for module in modules:
        assert not imported_roots(module) & set(FORBIDDEN), module.name


def test_no_module_in_either_process_is_over_350_lines() -> None:
    for folder in ("bot", "actions", "assistant_core"):
        for module in (ROOT / folder).rglob("*.py"):
            lines = len(module.read_text(encoding="utf-8").splitlines())
            assert lines <= 350, f"{module.relative_to(ROOT)} has {lines} lines"


def test_domain_wallet_values_are_the_seeds_platform_keys() -> None:
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    assert domain["slots"]["wallet"]["values"] == [p.key for p in load_seed(SEED_PATH).platforms]


def test_every_text_a_channel_sends_on_its_own_is_a_domain_response() -> None:
    """Copy is data: the channels name responses of domain.yml, and each one exists with its text."""
    import re

    from bot.channel_copy import channel_text

    named = {
        name
        for path in (ROOT / "bot").rglob("*.py")
        for name in re.findall(r'channel_text\(\s*"(\w+)"', path.read_text(encoding="utf-8"))
    }
    named |= {"utter_wechat_empty_text", "utter_wechat_voice_not_recognised"}  # chosen by message type
    assert len(named) >= 8
    for name in sorted(named):
        assert channel_text(name, max_chars=1000, wallets="支持支付宝。").strip(), name
