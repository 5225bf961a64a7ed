"""Conversation tests through Rasa's own test runner, on the trained model."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import MODEL_PATH, ROOT


@pytest.mark.e2e
def test_conversation_stories_have_no_prediction_errors(tmp_path: Path) -> None:
    rasa = str(Path(sys.executable).parent / "rasa")
    result = subprocess.run(
        [
            rasa,
            "test",
            "core",
            "--model",
            str(MODEL_PATH),
            "--stories",
            "tests/conversations",
            "--fail-on-prediction-errors",
            "--out",
            str(tmp_path),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    failed = tmp_path / "failed_test_stories.yml"
    details = failed.read_text(encoding="utf-8") if failed.exists() else ""
    assert result.returncode == 0, f"{details}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
