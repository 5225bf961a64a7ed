"""`make shell`: talk to the running assistant in this terminal, through its own REST channel.

The turns take the path an integration's do, so the channel prefix (`rest:shell-…`), masking,
the junk refusal and the outage apology all apply. Type a message and press Enter; a number
picks that button of the last reply; Ctrl-D or /quit ends. Start the servers first (`make run`).

    python scripts/shell.py [--url http://127.0.0.1:$RASA_PORT] [--sender shell-<random>]

REST_API_TOKEN (environment, or .env through scripts/env.sh) is sent as the bearer token when set.
Standard library only.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any, Callable, Dict, Iterable, Iterator, List, Optional, Sequence, TextIO, Tuple

PROMPT = "你 > "
TURN_TIMEOUT_SECONDS = 60.0


class ServerDown(Exception):
    """Nothing answers at the assistant's address."""


class Refused(Exception):
    """The REST channel answered with an error status (token missing or wrong, bad request)."""


@dataclass(frozen=True)
class RestClient:
    """One conversation with the assistant's REST channel."""

    base_url: str
    sender: str
    token: str = ""
    timeout: float = TURN_TIMEOUT_SECONDS

    def _open(self, request: urllib.request.Request) -> Tuple[int, bytes]:
        """The status and body of one request; HTTP error statuses are returned, not raised."""
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as reply:  # noqa: S310 - the operator's URL
                return int(reply.status), bytes(reply.read())
        except urllib.error.HTTPError as exc:
            return int(exc.code), bytes(exc.read())
        except (urllib.error.URLError, ConnectionError) as exc:
            raise ServerDown(str(getattr(exc, "reason", exc))) from exc

    def health(self) -> Dict[str, Any]:
        """GET /webhooks/health/: the body, whether the status is 200 or 503."""
        status, body = self._open(urllib.request.Request(f"{self.base_url}/webhooks/health/"))
        try:
            return dict(json.loads(body))
        except ValueError:
            return {"status": f"HTTP {status}"}

    def send(self, text: str) -> List[Dict[str, Any]]:
        """One turn: the bot's messages."""
        body = json.dumps({"sender": self.sender, "message": text}, ensure_ascii=False).encode("utf-8")
        request = urllib.request.Request(
            f"{self.base_url}/webhooks/rest/webhook",
            data=body,
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        status, answer = self._open(request)
        if status != 200:
            raise Refused(f"HTTP {status}: {answer.decode('utf-8', 'replace')[:300]}")
        return list(json.loads(answer))


def render(messages: Sequence[Dict[str, Any]]) -> Tuple[List[str], List[Dict[str, Any]]]:
    """The lines to print for one reply and its buttons, numbered from 1 across the whole reply."""
    lines: List[str] = []
    buttons: List[Dict[str, Any]] = []
    for message in messages:
        if message.get("text"):
            lines.extend(
                f"助手 > {line}" if i == 0 else f"       {line}" for i, line in enumerate(message["text"].splitlines())
            )
        if message.get("image"):
            lines.append(f"助手 > [图片] {message['image']}")
        for button in message.get("buttons") or []:
            buttons.append(button)
            lines.append(f"       {len(buttons)}. {button.get('title', button.get('payload', ''))}")
    if not lines:
        lines.append("助手 > (no reply)")
    return lines, buttons


def resolve(line: str, buttons: Sequence[Dict[str, Any]]) -> str:
    """The text to send: a button's payload when `line` is its number, else `line` itself."""
    if line.isdigit() and 1 <= int(line) <= len(buttons):
        return str(buttons[int(line) - 1].get("payload") or buttons[int(line) - 1].get("title", line))
    return line


def prompted(read: Callable[[str], str] = input, prompt: str = PROMPT) -> Iterator[str]:
    """Lines typed at the prompt until Ctrl-D."""
    while True:
        try:
            yield read(prompt)
        except EOFError:
            return


def talk(client: RestClient, lines: Iterable[str], out: TextIO) -> int:
    """The conversation loop: 0 when the user ends it, 1 when the server goes away."""
    buttons: List[Dict[str, Any]] = []
    for raw in lines:
        line = raw.strip()
        if not line:
            continue
        if line in ("/quit", "/exit"):
            break
        try:
            messages = client.send(resolve(line, buttons))
        except ServerDown as exc:
            print(
                f"The assistant stopped answering at {client.base_url} ({exc}). Fix: see `make run`'s terminal.",
                file=out,
            )
            return 1
        except Refused as exc:
            print(
                f"The REST channel refused the message: {exc}. Fix: set REST_API_TOKEN as the server has it.", file=out
            )
            continue
        shown, buttons = render(messages)
        print("\n".join(shown), file=out, flush=True)
    return 0


def main(
    argv: Optional[Sequence[str]] = None,
    lines: Optional[Iterable[str]] = None,
    out: TextIO = sys.stdout,
) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--url", default=f"http://127.0.0.1:{os.environ.get('RASA_PORT', '5005')}")
    parser.add_argument("--sender", default=f"shell-{secrets.token_hex(4)}")
    args = parser.parse_args(argv)
    client = RestClient(args.url.rstrip("/"), args.sender, os.environ.get("REST_API_TOKEN", "").strip())
    try:
        health = client.health()
    except ServerDown:
        print(
            f"Nothing answers at {client.base_url}: start the assistant with `make run` (in another terminal) first.",
            file=out,
        )
        return 1
    if health.get("status") != "ok":
        print(f"The assistant is up but degraded ({health}); answers may be the outage apology.", file=out)
    print(
        f"Talking to {client.base_url} as rest:{client.sender}. A number picks a button; Ctrl-D or /quit ends.",
        file=out,
    )
    typed = prompted(prompt=PROMPT if sys.stdin.isatty() else "") if lines is None else lines  # no prompts in a pipe
    return talk(client, typed, out)


if __name__ == "__main__":
    sys.exit(main())
