"""Settings of the action server, read once from the environment and `.env`."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Optional

from dotenv import dotenv_values

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB_PATH = PROJECT_ROOT / "var" / "knowledge.db"
DEFAULT_SEED_PATH = PROJECT_ROOT / "knowledge" / "seed.yml"


@dataclass(frozen=True)
class ActionSettings:
    knowledge_db_url: str
    knowledge_seed_path: Path

    @classmethod
    def from_env(cls, environ: Optional[Mapping[str, str]] = None, env_file: Optional[Path] = None) -> "ActionSettings":
        """Real environment first, then `.env`, then the defaults."""
        values = {**dotenv_values(env_file or PROJECT_ROOT / ".env"), **(environ or os.environ)}
        db_url = (values.get("KNOWLEDGE_DB_URL") or "").strip() or f"sqlite:///{DEFAULT_DB_PATH}"
        seed = (values.get("KNOWLEDGE_SEED_PATH") or "").strip()
        return cls(knowledge_db_url=db_url, knowledge_seed_path=Path(seed) if seed else DEFAULT_SEED_PATH)
