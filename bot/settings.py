"""Environment loading for the Rasa server process.

`.env` is read once, on first use; variables already set in the real
environment always win over the file.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Mapping, Optional

from dotenv import load_dotenv

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SEED_PATH = PROJECT_ROOT / "knowledge" / "seed.yml"


@functools.cache
def load_env_file(path: Optional[str] = None) -> bool:
    """Load `.env` (without overriding the real environment); True if a file was read."""
    env_path = Path(path) if path else PROJECT_ROOT / ".env"
    return load_dotenv(env_path, override=False)


def env(name: str, default: str = "", environ: Optional[Mapping[str, str]] = None) -> str:
    """Read one setting after `.env` has been loaded."""
    if environ is None:
        load_env_file()
        environ = os.environ
    return environ.get(name, default).strip()


def seed_path(environ: Optional[Mapping[str, str]] = None) -> Path:
    """Path of the knowledge seed (`KNOWLEDGE_SEED_PATH`, default knowledge/seed.yml)."""
    configured = env("KNOWLEDGE_SEED_PATH", "", environ)
    return Path(configured) if configured else DEFAULT_SEED_PATH
