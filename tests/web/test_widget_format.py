"""The widget's text formatting (numbered lists, tel: links) under node's own test runner."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from tests.conftest import ROOT


def test_widget_format_unit_tests_pass() -> None:
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is missing: install Node.js 18+ (make test builds the widget with it).")
    result = subprocess.run([node, "--test", "test/"], cwd=ROOT / "web", capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "# fail 0" in result.stdout
