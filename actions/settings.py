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
DEFAULT_FACT_MAX_AGE_DAYS = 180


@dataclass(frozen=True)
class ActionSettings:
    knowledge_db_url: str
    knowledge_seed_path: Path
    fact_max_age_days: int = DEFAULT_FACT_MAX_AGE_DAYS
    """Facts last verified longer ago than this are reported as due for re-checking."""

    @classmethod
    def from_env(cls, environ: Optional[Mapping[str, str]] = None, env_file: Optional[Path] = None) -> "ActionSettings":
        """Real environment first, then `.env`, then the defaults."""
        values = {**dotenv_values(env_file or PROJECT_ROOT / ".env"), **(environ or os.environ)}
        db_url = (values.get("KNOWLEDGE_DB_URL") or "").strip() or f"sqlite:///{DEFAULT_DB_PATH}"
        seed = (values.get("KNOWLEDGE_SEED_PATH") or "").strip()
        max_age = (values.get("KNOWLEDGE_FACT_MAX_AGE_DAYS") or "").strip()
        if max_age and (not max_age.isdigit() or int(max_age) < 1):
            raise ValueError(f"KNOWLEDGE_FACT_MAX_AGE_DAYS must be a whole number of days ≥ 1, got {max_age!r}")
        return cls(
            knowledge_db_url=db_url,
            knowledge_seed_path=Path(seed) if seed else DEFAULT_SEED_PATH,
            fact_max_age_days=int(max_age) if max_age else DEFAULT_FACT_MAX_AGE_DAYS,
        )
