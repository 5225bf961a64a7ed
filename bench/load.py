"""Drive a running Rasa server over HTTP (REST channel and /model/parse) and time every request."""

from __future__ import annotations

import asyncio
import itertools
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Dict, List, Optional, Sequence, Tuple

import aiohttp
import numpy as np

TIMEOUT = aiohttp.ClientTimeout(total=120)


@dataclass(frozen=True)
class Flow:
    """A scripted conversation; each turn names a fragment its reply must contain."""

    name: str
    turns: Tuple[Tuple[str, str], ...]  # (user text, expected fragment of the bot's reply)


@dataclass(frozen=True)
class Stats:
    count: int
    p50: float
    p95: float
    p99: float
    mean: float

    @classmethod
    def of(cls, seconds: Sequence[float]) -> "Stats":
        ms = np.asarray(seconds, dtype=float) * 1000
        if not len(ms):
            return cls(0, float("nan"), float("nan"), float("nan"), float("nan"))
        p50, p95, p99 = np.percentile(ms, [50, 95, 99])
        return cls(len(ms), float(p50), float(p95), float(p99), float(ms.mean()))


@dataclass
class LoadResult:
    users: int
    seconds: float
    turns: int
    errors: int
    latencies: List[float] = field(default_factory=list)
    apologies: int = 0  # turns answered with the outage apology (e.g. the action server unreachable)

    @property
    def throughput(self) -> float:
        return self.turns / self.seconds if self.seconds else 0.0

    def add(self, phase: "LoadResult") -> None:
        """Sum another phase at the same concurrency into this one."""
        self.seconds += phase.seconds
        self.turns += phase.turns
        self.errors += phase.errors
        self.latencies += phase.latencies
        self.apologies += phase.apologies


async def record_turn(result: LoadResult, turn: Callable[[], Awaitable[None]]) -> None:
    """Await one turn's requests; its latency goes into `result`, or an error if the HTTP exchange failed."""
    started = time.perf_counter()
    try:
        await turn()
    except (aiohttp.ClientError, asyncio.TimeoutError):
        result.errors += 1
        return
    result.latencies.append(time.perf_counter() - started)
    result.turns += 1


def is_apology(messages: Sequence[Dict[str, Any]]) -> bool:
    """Whether a reply is the outage apology (assistant_core.apology) rather than an answer."""
    from assistant_core.apology import service_unavailable_text

    first_line = service_unavailable_text().splitlines()[0]
    return any(first_line in str(m.get("text") or "") for m in messages)


class UnexpectedReply(RuntimeError):
    """The bot answered, but not what the flow expects: the timing would measure the wrong path."""


class Client:
    """One aiohttp session against one Rasa server."""

    def __init__(self, base_url: str, token: str, connections: int = 100) -> None:
        self.base_url, self.token = base_url, token
        self.apologies = 0  # replies that were the outage apology
        self._session = aiohttp.ClientSession(
            timeout=TIMEOUT, connector=aiohttp.TCPConnector(limit=connections, force_close=False)
        )

    async def close(self) -> None:
        await self._session.close()

    async def turn(self, sender: str, text: str) -> Tuple[float, List[Dict[str, Any]]]:
        """One user message over the REST channel: (seconds, bot messages)."""
        started = time.perf_counter()
        async with self._session.post(
            f"{self.base_url}/webhooks/rest/webhook", json={"sender": sender, "message": text}
        ) as response:
            response.raise_for_status()
            messages = await response.json()
        seconds = time.perf_counter() - started
        if is_apology(messages):
            self.apologies += 1
        return seconds, list(messages)

    async def parse(self, text: str) -> float:
        started = time.perf_counter()
        async with self._session.post(
            f"{self.base_url}/model/parse", params={"token": self.token}, json={"text": text}
        ) as response:
            response.raise_for_status()
            await response.read()
        return time.perf_counter() - started

    async def conversation(self, flow: Flow, check: bool = True) -> List[float]:
        """Run a flow with a fresh sender; the latency of each turn."""
        sender = f"bench-{flow.name}-{uuid.uuid4().hex[:12]}"
        latencies = []
        for text, expected in flow.turns:
            seconds, messages = await self.turn(sender, text)
            reply = "\n".join(str(m.get("text", "")) for m in messages)
            if check and expected not in reply:
                raise UnexpectedReply(f"{flow.name}: {text!r} got {reply[:300]!r}, expected {expected!r}")
            latencies.append(seconds)
        return latencies


async def single_user(client: Client, flows: Sequence[Flow], repeats: int) -> Dict[str, List[List[float]]]:
    """Each flow `repeats` times, one request at a time: flow → [per-conversation turn latencies]."""
    results: Dict[str, List[List[float]]] = {f.name: [] for f in flows}
    for _ in range(repeats):
        for flow in flows:  # interleaved, so slow drift hits every flow alike
            results[flow.name].append(await client.conversation(flow))
    return results


async def concurrent_users(client: Client, flows: Sequence[Flow], users: int, seconds: float) -> LoadResult:
    """`users` simulated users, each running flows back to back for `seconds`; turns/s and latencies."""
    result = LoadResult(users=users, seconds=0.0, turns=0, errors=0)
    deadline = time.perf_counter() + seconds

    async def user(index: int) -> None:
        for flow in itertools.islice(itertools.cycle(flows), index % len(flows), None):
            if time.perf_counter() >= deadline:
                return
            try:
                latencies = await client.conversation(flow, check=False)
            except (aiohttp.ClientError, asyncio.TimeoutError):
                result.errors += 1
                continue
            result.latencies += latencies
            result.turns += len(latencies)

    started, apologies_before = time.perf_counter(), client.apologies
    await asyncio.gather(*(user(i) for i in range(users)))
    result.seconds = time.perf_counter() - started
    result.apologies = client.apologies - apologies_before
    return result


async def parse_latencies(client: Client, texts: Sequence[str], count: int) -> List[float]:
    return [await client.parse(text) for text in itertools.islice(itertools.cycle(texts), count)]


async def action_server_round_trips(url: str, bodies: Sequence[str], repeats: int) -> List[float]:
    """POST the recorded action calls of one turn to an action server `repeats` times: seconds per turn."""
    async with aiohttp.ClientSession(timeout=TIMEOUT) as session:
        seconds = []
        for _ in range(repeats + 1):  # the first round warms the connection and is dropped
            started = time.perf_counter()
            for body in bodies:
                async with session.post(url, data=body, headers={"Content-Type": "application/json"}) as response:
                    response.raise_for_status()
                    await response.read()
            seconds.append(time.perf_counter() - started)
    return seconds[1:]


def first_answer_seconds(base_url: str, flow: Flow, launched_at: float, limit: float) -> Tuple[float, float]:
    """Poll the REST channel until the first answer: (seconds since launch, latency of that answer)."""

    async def poll() -> Tuple[float, float]:
        client = Client(base_url, "")
        try:
            deadline = time.monotonic() + limit
            while time.monotonic() < deadline:
                try:
                    seconds, messages = await client.turn(f"bench-first-{uuid.uuid4().hex[:8]}", flow.turns[0][0])
                    if messages:
                        return time.monotonic() - launched_at, seconds
                except (aiohttp.ClientError, asyncio.TimeoutError):
                    pass
                await asyncio.sleep(0.1)
            raise RuntimeError(f"no answer from {base_url} within {limit} s")
        finally:
            await client.close()

    return asyncio.run(poll())


def flatten(conversations: Sequence[Sequence[float]], turn: Optional[int] = None) -> List[float]:
    """All turn latencies, or only those of turn number `turn`."""
    return [t for c in conversations for i, t in enumerate(c) if turn is None or i == turn]


async def interleaved_single_user(
    pairs: Sequence[Tuple[Client, Sequence[Flow]]], repeats: int
) -> List[Dict[str, List[List[float]]]]:
    """Several bots, one conversation at a time, taking turns: each of bot A's conversations is followed by
    one of bot B's, so a change in the machine's load falls on both alike. Per bot: flow → conversations."""
    results: List[Dict[str, List[List[float]]]] = [{f.name: [] for f in flows} for _, flows in pairs]
    cycles = [itertools.cycle(flows) for _, flows in pairs]
    rounds = repeats * max(len(flows) for _, flows in pairs)
    for _ in range(rounds):
        for (client, _), cycle, result in zip(pairs, cycles, results, strict=True):
            flow = next(cycle)
            result[flow.name].append(await client.conversation(flow))
    return results


async def interleaved_load(
    pairs: Sequence[Tuple[Client, Sequence[Flow]]], users: int, seconds: float, rounds: int
) -> List[LoadResult]:
    """`users` concurrent users on each bot in alternating phases (A B, B A, A B …), `rounds` phases per bot
    of `seconds / rounds` each; per bot the phases summed into one LoadResult."""
    totals = [LoadResult(users=users, seconds=0.0, turns=0, errors=0) for _ in pairs]
    order = list(range(len(pairs)))
    for _ in range(rounds):
        for index in order:
            client, flows = pairs[index]
            totals[index].add(await concurrent_users(client, flows, users, seconds / rounds))
        order.reverse()
    return totals
