"""Settings: the one reader of the environment and `.env` (python-dotenv), for both processes and
the shell scripts. The real environment always wins over `.env`; defaults live here only.

    python -m assistant_core.settings --shell   # `export KEY=value` lines; scripts/env.sh evals them
"""

from __future__ import annotations

import argparse
import functools
import os
import secrets
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Mapping, Optional, Sequence

from dotenv import dotenv_values

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SEED_PATH = PROJECT_ROOT / "knowledge" / "seed.yml"
DEFAULT_FACT_MAX_AGE_DAYS = 180
DEFAULT_RETENTION_DAYS = 180
DEFAULTS = {
    "RASA_PORT": "5005",
    "ACTIONS_PORT": "5055",
    "TRACKER_STORE_URL": f"sqlite:///{PROJECT_ROOT / 'var' / 'tracker.db'}",
    "LOCK_STORE_URL": "",
    "KNOWLEDGE_SEED_PATH": str(DEFAULT_SEED_PATH),
    "KNOWLEDGE_DB_URL": f"sqlite:///{PROJECT_ROOT / 'var' / 'knowledge.db'}",
    "MODEL_PATH": str(PROJECT_ROOT / "models" / "wallet-assistant.tar.gz"),
}
"""What scripts/env.sh exports when neither the environment nor `.env` sets it."""


@functools.cache
def _env_file_values(path: Path) -> dict[str, str]:
    return {k: v for k, v in dotenv_values(path).items() if v is not None}


def values(environ: Optional[Mapping[str, str]] = None, env_file: Optional[Path] = None) -> dict[str, str]:
    """`.env` overlaid by the real environment (or `environ`), read once per file."""
    merged = dict(_env_file_values(env_file or PROJECT_ROOT / ".env"))
    merged.update(os.environ if environ is None else environ)
    return merged


def env(name: str, default: str = "", environ: Optional[Mapping[str, str]] = None) -> str:
    """One setting: the environment, then `.env`, then `default`; stripped."""
    return (values(environ).get(name) or default).strip()


@functools.cache
def log_pseudonym_salt() -> bytes:
    """The key of log pseudonyms (`masking.log_id`): LOG_PSEUDONYM_SALT, or unset a random one per
    process, so log lines can be linked within one process but to no user id. Read once."""
    salt = env("LOG_PSEUDONYM_SALT")
    return salt.encode("utf-8") if salt else secrets.token_bytes(32)


def seed_path(environ: Optional[Mapping[str, str]] = None) -> Path:
    """Path of the knowledge seed (`KNOWLEDGE_SEED_PATH`, default knowledge/seed.yml)."""
    return Path(env("KNOWLEDGE_SEED_PATH", DEFAULTS["KNOWLEDGE_SEED_PATH"], environ))


def _days(name: str, text: str, default: int) -> int:
    if not text:
        return default
    if not text.isdigit() or int(text) < 1:
        raise ValueError(f"{name} must be a whole number of days, at least 1; got {text!r}.")
    return int(text)


STORE_CALL_MODES = ("auto", "threads", "inline")


def _choice(name: str, text: str, allowed: tuple[str, ...]) -> str:
    if text.lower() not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(allowed)}; got {text!r}.")
    return text.lower()


def cases_url_beside(knowledge_db_url: str) -> str:
    """The default home of users' case files: a `cases.db` beside a SQLite knowledge file, else the same database."""
    prefix = "sqlite:///"
    if knowledge_db_url.startswith(prefix) and knowledge_db_url[len(prefix) :] not in ("", ":memory:"):
        return prefix + str(Path(knowledge_db_url[len(prefix) :]).with_name("cases.db"))
    return knowledge_db_url


def _seconds(name: str, text: str, default: float) -> float:
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if value < 0:
        raise ValueError(f"{name} must be a number of seconds, 0 or more; got {text!r}.")
    return value


@dataclass(frozen=True)
class ReminderSettings:
    """Follow-up reminders (README, "Follow-up reminders")."""

    max_pending: int = 3
    """Pending reminders one user may have (REMINDER_MAX_PENDING)."""
    max_days: int = 60
    """How far ahead a reminder may be set (REMINDER_MAX_DAYS)."""
    local_hour: int = 10
    """Local hour (Asia/Shanghai) at which a reminder is due on its date (REMINDER_LOCAL_HOUR)."""
    poll_seconds: float = 30.0
    """How often each Rasa server looks for due reminders (REMINDER_POLL_SECONDS)."""
    late_after_seconds: float = 600.0
    """A reminder fired later than this past its time is marked late (REMINDER_LATE_AFTER_SECONDS)."""
    test_delay_seconds: float = 0.0
    """Tests only: when above 0, every reminder is due this many seconds after it is set (the date
    the user is told stays the one they asked for)."""

    @classmethod
    def from_values(cls, get: Callable[[str], str]) -> "ReminderSettings":
        """Read the REMINDER_* keys through `get`; refuses malformed values."""
        hour_text = get("REMINDER_LOCAL_HOUR")
        if hour_text and not (hour_text.isdigit() and int(hour_text) <= 23):
            raise ValueError(f"REMINDER_LOCAL_HOUR must be an hour from 0 to 23; got {hour_text!r}.")
        hour = int(hour_text) if hour_text else cls.local_hour
        return cls(
            max_pending=_days("REMINDER_MAX_PENDING", get("REMINDER_MAX_PENDING"), cls.max_pending),
            max_days=_days("REMINDER_MAX_DAYS", get("REMINDER_MAX_DAYS"), cls.max_days),
            local_hour=hour,
            poll_seconds=_seconds("REMINDER_POLL_SECONDS", get("REMINDER_POLL_SECONDS"), cls.poll_seconds) or 1.0,
            late_after_seconds=_seconds(
                "REMINDER_LATE_AFTER_SECONDS", get("REMINDER_LATE_AFTER_SECONDS"), cls.late_after_seconds
            ),
            test_delay_seconds=_seconds(
                "REMINDER_TEST_DELAY_SECONDS", get("REMINDER_TEST_DELAY_SECONDS"), cls.test_delay_seconds
            ),
        )


def _count(name: str, text: str, default: int, minimum: int) -> int:
    if not text:
        return default
    if not text.isdigit() or int(text) < minimum:
        raise ValueError(f"{name} must be a whole number, at least {minimum}; got {text!r}.")
    return int(text)


@dataclass(frozen=True)
class InputLimits:
    """What the channels accept from outside (docs/widget-and-telegram.md, "Input limits")."""

    max_request_bytes: int = 64 * 1024
    """Largest webhook body or socket.io packet (MAX_REQUEST_BYTES); bigger ones get 413 unread."""
    rate_limit_messages: int = 20
    """Messages one sender may send per RATE_LIMIT_SECONDS (RATE_LIMIT_MESSAGES); 0 turns the limit off."""
    rate_limit_seconds: float = 60.0
    """The window of RATE_LIMIT_MESSAGES (RATE_LIMIT_SECONDS); 0 turns the limit off."""

    @classmethod
    def from_env(cls, environ: Optional[Mapping[str, str]] = None) -> "InputLimits":
        """Read MAX_REQUEST_BYTES, RATE_LIMIT_MESSAGES and RATE_LIMIT_SECONDS; refuses malformed values."""
        return cls(
            max_request_bytes=_count(
                "MAX_REQUEST_BYTES", env("MAX_REQUEST_BYTES", "", environ), cls.max_request_bytes, 1024
            ),
            rate_limit_messages=_count(
                "RATE_LIMIT_MESSAGES", env("RATE_LIMIT_MESSAGES", "", environ), cls.rate_limit_messages, 0
            ),
            rate_limit_seconds=_seconds(
                "RATE_LIMIT_SECONDS", env("RATE_LIMIT_SECONDS", "", environ), cls.rate_limit_seconds
            ),
        )


@dataclass(frozen=True)
class Settings:
    """What the action server and the operator commands read; the channels read their own keys with `env()`."""

    knowledge_db_url: str
    knowledge_seed_path: Path
    cases_db_url: str
    """Users' case files: apart from the knowledge store, which an import replaces."""
    tracker_store_url: str
    fact_max_age_days: int = DEFAULT_FACT_MAX_AGE_DAYS
    """Facts last verified longer ago than this are reported as due for re-checking."""
    retention_days: int = DEFAULT_RETENTION_DAYS
    """Conversations and case files older than this are purged by `python -m actions.retention purge`."""
    store_calls: str = "auto"
    """STORE_CALLS: where the action server runs store calls. `auto`: on its event loop when every
    store is SQLite, in its thread pool otherwise (actions/base.py says why); `threads` or `inline`
    forces one (`make bench` compares them)."""
    reminders_db_url: str = ""
    """Follow-up reminders, shared by the action server and every Rasa server (default: the case database)."""
    reminders: ReminderSettings = ReminderSettings()

    @classmethod
    def from_env(cls, environ: Optional[Mapping[str, str]] = None, env_file: Optional[Path] = None) -> "Settings":
        """Real environment first, then `.env`, then the defaults; refuses malformed day counts."""
        merged = values(environ, env_file)

        def get(name: str) -> str:
            return (merged.get(name) or "").strip() or DEFAULTS.get(name, "")

        knowledge = get("KNOWLEDGE_DB_URL")
        cases = get("CASES_DB_URL") or cases_url_beside(knowledge)
        return cls(
            knowledge_db_url=knowledge,
            knowledge_seed_path=Path(get("KNOWLEDGE_SEED_PATH")),
            cases_db_url=cases,
            tracker_store_url=get("TRACKER_STORE_URL"),
            fact_max_age_days=_days(
                "KNOWLEDGE_FACT_MAX_AGE_DAYS", get("KNOWLEDGE_FACT_MAX_AGE_DAYS"), DEFAULT_FACT_MAX_AGE_DAYS
            ),
            retention_days=_days("RETENTION_DAYS", get("RETENTION_DAYS"), DEFAULT_RETENTION_DAYS),
            store_calls=_choice("STORE_CALLS", get("STORE_CALLS") or "auto", STORE_CALL_MODES),
            reminders_db_url=get("REMINDERS_DB_URL") or cases,
            reminders=ReminderSettings.from_values(get),
        )


def shell_exports(environ: Optional[Mapping[str, str]] = None) -> str:
    """`export KEY=value` for every `.env` key the environment does not set, and the defaults."""
    merged = values(environ)
    lines = []
    for key in sorted({*_env_file_values(PROJECT_ROOT / ".env"), *DEFAULTS}):
        if not key.isidentifier():
            continue
        value = merged.get(key) or DEFAULTS.get(key, "")
        lines.append(f"export {key}={shlex.quote(value)}")
    actions_port = merged.get("ACTIONS_PORT") or DEFAULTS["ACTIONS_PORT"]
    action_url = merged.get("ACTION_SERVER_URL") or f"http://127.0.0.1:{actions_port}/webhook"
    lines.append(f"export ACTION_SERVER_URL={shlex.quote(action_url)}")
    Settings.from_env(environ)  # refuse malformed values here, before any server starts
    # CASES_DB_URL is exported only when set: by default each process derives it from KNOWLEDGE_DB_URL.
    return "\n".join(lines) + "\n"


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m assistant_core.settings", description=__doc__.splitlines()[0])
    parser.add_argument("--shell", action="store_true", help="print export lines for bash")
    args = parser.parse_args(argv)
    try:
        text = shell_exports() if args.shell else repr(Settings.from_env()) + "\n"
    except ValueError as exc:
        print(f"Invalid setting: {exc} Fix it in .env or the environment.", file=sys.stderr)
        return 2
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
