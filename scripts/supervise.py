"""Keep the assistant's three processes up; `make run` (scripts/run.sh) ends here.

Start-up runs in order, each process healthy before the next starts: action server, Rasa
server, widget demo server. After that, a process that exits is started again after a
back-off (1 s, doubling up to 30 s, back to 1 s once it has run for a minute). A log line
names the process, its exit code and the fix. While the action server is down, the Rasa
server keeps answering with the outage apology. Ctrl-C or SIGTERM stops all three.

    python scripts/supervise.py [--pid-dir var/run] [--ready-message TEXT]
    python scripts/supervise.py --exec rasa    # run one process in the foreground (systemd units)

Each child's pid is kept in <pid-dir>/<name>.pid (actions, rasa, web) while it runs.
Standard library only: it must work while the rest of the install is broken.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Mapping, Optional, Sequence

logger = logging.getLogger("supervisor")

ROOT = Path(__file__).resolve().parent.parent
POLL_SECONDS = 0.5
STOP_SECONDS = 20.0


@dataclass(frozen=True)
class Spec:
    """One supervised process: how to start it and how to tell that it is ready."""

    name: str
    """Short name, used for its pid file (`actions.pid`)."""
    title: str
    """What the logs call it ("Action server")."""
    args: List[str]
    health_url: str
    start_seconds: float
    """How long start-up may take before `make run` gives up."""
    fix: str
    """What an operator should look at when it dies."""


def assistant_specs(env: Mapping[str, str], python: str = sys.executable) -> List[Spec]:
    """The action server, the Rasa server and the widget demo server, in start-up order."""
    actions_port = env.get("ACTIONS_PORT", "5055")
    rasa_port = env.get("RASA_PORT", "5005")
    web_port = env.get("WEB_PORT", "8080")
    api_args = ["--enable-api", "--auth-token", env["RASA_API_TOKEN"]] if env.get("RASA_API_TOKEN") else []
    model = env.get("MODEL_PATH", str(ROOT / "models" / "wallet-assistant.tar.gz"))
    rasa = str(Path(python).parent / "rasa")
    return [
        Spec(
            name="actions",
            title="Action server",
            args=[python, "-m", "actions.server", "--port", actions_port],
            health_url=f"http://127.0.0.1:{actions_port}/health/knowledge",
            start_seconds=60,
            fix="read its traceback above; check KNOWLEDGE_DB_URL and CASES_DB_URL (.env) and run "
            "`python -m actions.knowledge check`. Until it is back, users get the outage apology with the hotlines",
        ),
        Spec(
            name="rasa",
            title="Rasa server",
            args=[
                rasa,
                "run",
                "--model",
                model,
                "--endpoints",
                "endpoints.yml",
                "--credentials",
                "credentials.yml",
                "--port",
                rasa_port,
                *api_args,
            ],  # fmt: skip
            health_url=f"http://127.0.0.1:{rasa_port}/webhooks/health/",
            start_seconds=180,
            fix="read its traceback above; check MODEL_PATH (`make train`), TRACKER_STORE_URL, LOCK_STORE_URL and "
            "the channel keys in .env, and that port RASA_PORT is free",
        ),
        Spec(
            name="web",
            title="Widget demo server",
            args=[python, "web/serve.py", "--port", web_port],
            health_url=f"http://127.0.0.1:{web_port}/healthz",
            start_seconds=30,
            fix="read its traceback above; check that port WEB_PORT is free and run `make web` if web/dist is missing",
        ),
    ]


def describe_exit(code: int) -> str:
    """'exited with code 3', or 'was killed by SIGKILL (exit code -9)'."""
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"was killed by {name} (exit code {code})"
    return f"exited with code {code}"


@dataclass
class Backoff:
    """Delays between restarts: `initial`, doubling up to `maximum`; reset after `reset_after` seconds up."""

    initial: float = 1.0
    maximum: float = 30.0
    reset_after: float = 60.0
    _next: float = field(default=-1.0, repr=False)

    def delay_after_exit(self, uptime: float) -> float:
        """The wait before the next start, for a process that ran `uptime` seconds before exiting."""
        if self._next < 0 or uptime >= self.reset_after:
            self._next = self.initial
        delay = self._next
        self._next = min(self._next * 2, self.maximum)
        return delay


def http_ok(url: str) -> bool:
    """True when `url` answers 2xx within 2 s."""
    try:
        with urllib.request.urlopen(url, timeout=2) as reply:  # noqa: S310 - our own loopback URLs
            return 200 <= int(reply.status) < 300
    except (urllib.error.URLError, OSError, ValueError):
        return False


@dataclass
class Child:
    """The running (or waiting) instance of one spec."""

    spec: Spec
    backoff: Backoff
    process: Optional[subprocess.Popen] = None
    started_at: float = 0.0
    healthy: bool = False
    restart_at: Optional[float] = None
    restarts: int = 0


class Supervisor:
    """Starts the specs in order, restarts whichever exits, stops them all on request."""

    def __init__(
        self,
        specs: Sequence[Spec],
        env: Mapping[str, str],
        pid_dir: Path,
        clock: Callable[[], float] = time.monotonic,
        probe: Callable[[str], bool] = http_ok,
        backoff: Callable[[], Backoff] = Backoff,
        cwd: Path = ROOT,
    ) -> None:
        self.children = [Child(spec, backoff()) for spec in specs]
        self.env = dict(env)
        self.pid_dir = pid_dir
        self.clock = clock
        self.probe = probe
        self.cwd = cwd
        self.stopping = threading.Event()

    def child(self, name: str) -> Child:
        return next(c for c in self.children if c.spec.name == name)

    def spawn(self, child: Child) -> None:
        """Start one process in its own session (Ctrl-C reaches only the supervisor) and record its pid."""
        child.process = subprocess.Popen(child.spec.args, cwd=self.cwd, env=self.env, start_new_session=True)
        child.started_at, child.healthy, child.restart_at = self.clock(), False, None
        self.pid_dir.mkdir(parents=True, exist_ok=True)
        pid_file = self.pid_dir / f"{child.spec.name}.pid"
        partial = pid_file.with_suffix(".pid.tmp")
        partial.write_text(f"{child.process.pid}\n")
        partial.replace(pid_file)
        logger.info("%s started (pid %d): %s", child.spec.title, child.process.pid, " ".join(child.spec.args))

    def start_in_order(self, wait: Callable[[float], object]) -> bool:
        """Start each process and wait for its health URL before the next; False if one fails or a stop was asked."""
        for child in self.children:
            if self.stopping.is_set():
                return False
            self.spawn(child)
            assert child.process is not None
            deadline = self.clock() + child.spec.start_seconds
            while not self.probe(child.spec.health_url):
                code = child.process.poll()
                if code is not None:
                    logger.error(
                        "%s %s during start-up, so `make run` stops. Fix: %s.",
                        child.spec.title, describe_exit(code), child.spec.fix,
                    )  # fmt: skip
                    return False
                if self.clock() >= deadline:
                    logger.error(
                        "%s not healthy at %s after %.0f s, so `make run` stops. Fix: %s.",
                        child.spec.title, child.spec.health_url, child.spec.start_seconds, child.spec.fix,
                    )  # fmt: skip
                    return False
                if self.stopping.is_set():
                    return False
                wait(POLL_SECONDS)
            child.healthy = True
            logger.info("%s is healthy at %s", child.spec.title, child.spec.health_url)
        return True

    def tick(self) -> None:
        """One round: note exits, schedule restarts, start those that are due, log who is healthy again."""
        now = self.clock()
        for child in self.children:
            process = child.process
            if child.restart_at is not None:
                if now >= child.restart_at:
                    child.restarts += 1
                    self.spawn(child)
                continue
            if process is None:
                continue
            code = process.poll()
            if code is None:
                if not child.healthy and self.probe(child.spec.health_url):
                    child.healthy = True
                    logger.info(
                        "%s is back (pid %d), healthy %.1f s after its restart.",
                        child.spec.title, process.pid, now - child.started_at,
                    )  # fmt: skip
                continue
            delay = child.backoff.delay_after_exit(now - child.started_at)
            child.restart_at = now + delay
            logger.error(
                "%s (pid %d) %s after %.0f s up; restarting it in %.0f s. Fix: %s.",
                child.spec.title, process.pid, describe_exit(code), now - child.started_at, delay, child.spec.fix,
            )  # fmt: skip

    def stop_all(self, seconds: float = STOP_SECONDS) -> None:
        """SIGTERM to every process group (last started first), SIGKILL after `seconds`; pid files removed."""
        running = [c.process for c in reversed(self.children) if c.process is not None and c.process.poll() is None]
        for process in running:
            _signal_group(process, signal.SIGTERM)
        for process in running:
            try:
                process.wait(timeout=seconds)
            except subprocess.TimeoutExpired:
                logger.warning("pid %d ignored SIGTERM for %.0f s; killing it.", process.pid, seconds)
                _signal_group(process, signal.SIGKILL)
                process.wait(timeout=10)
        for child in self.children:
            (self.pid_dir / f"{child.spec.name}.pid").unlink(missing_ok=True)

    def run(self, ready_message: str = "") -> int:
        """Start, then supervise until SIGINT/SIGTERM: 0 after a requested stop, 1 if start-up failed."""
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, self._ask_to_stop)
        try:
            if not self.start_in_order(self.stopping.wait):
                return 0 if self.stopping.is_set() else 1
            if ready_message:
                print(ready_message, flush=True)
            while not self.stopping.is_set():
                self.tick()
                self.stopping.wait(POLL_SECONDS)
            return 0
        finally:
            self.stop_all()
            logger.info("Stopped.")

    def _ask_to_stop(self, signum: int, _frame: object) -> None:
        logger.info("%s received: stopping every process.", signal.Signals(signum).name)
        self.stopping.set()


def _signal_group(process: subprocess.Popen, signum: signal.Signals) -> None:
    try:
        os.killpg(process.pid, signum)
    except ProcessLookupError:
        pass


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--pid-dir", type=Path, default=ROOT / "var" / "run", help="where <name>.pid files go")
    parser.add_argument("--ready-message", default="", help="printed once all three are healthy")
    parser.add_argument("--exec", dest="only", choices=("actions", "rasa", "web"), help="run one process in place")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s supervisor %(levelname)s %(message)s")
    specs: Dict[str, Spec] = {spec.name: spec for spec in assistant_specs(os.environ)}
    if args.only:
        os.chdir(ROOT)
        os.execv(specs[args.only].args[0], specs[args.only].args)
    return Supervisor(list(specs.values()), os.environ, args.pid_dir).run(args.ready_message)


if __name__ == "__main__":
    sys.exit(main())
