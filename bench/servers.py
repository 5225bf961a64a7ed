"""Start, watch and stop the servers of a benchmark run on loopback (as tests/conftest.py does)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    """One server process, its log, and when it was launched."""

    name: str
    process: subprocess.Popen
    log: Path
    launched_at: float

    def tree_pids(self) -> List[int]:
        """The process and all its descendants (Sanic may fork workers)."""
        pids, queue = [], [self.process.pid]
        while queue:
            pid = queue.pop()
            pids.append(pid)
            for task in Path(f"/proc/{pid}/task").glob("*/children"):
                try:
                    queue += [int(child) for child in task.read_text().split()]
                except OSError:
                    continue
        return pids

    def peak_rss_mb(self) -> float:
        """Peak resident memory (VmHWM) of the process tree, in MiB; read it before stopping."""
        return sum(_vm_hwm_kb(pid) for pid in self.tree_pids()) / 1024

    def log_tail(self, chars: int = 3000) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")[-chars:]


def _vm_hwm_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def start(name: str, args: Sequence[str], env: Dict[str, str], cwd: Path, logdir: Path) -> Server:
    log = logdir / f"{name}.log"
    with log.open("wb") as handle:
        process = subprocess.Popen(
            list(args), cwd=cwd, env=env, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True
        )
    return Server(name, process, log, time.monotonic())


def wait_until_ok(server: Server, url: str, seconds: float) -> float:
    """Poll `url` until it answers 2xx; seconds since the server was launched."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"{server.name} exited during start-up:\n{server.log_tail()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if 200 <= response.status < 300:
                    return time.monotonic() - server.launched_at
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{server.name} not healthy at {url} after {seconds} s:\n{server.log_tail()}")


def stop(server: Optional[Server]) -> None:
    """SIGTERM the server's process group; SIGKILL it if it lingers."""
    if server is None or server.process.poll() is not None:
        return
    os.killpg(server.process.pid, signal.SIGTERM)
    try:
        server.process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(server.process.pid, signal.SIGKILL)
        server.process.wait(timeout=10)
