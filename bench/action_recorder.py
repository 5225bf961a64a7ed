"""Our action server, unchanged, plus a middleware that saves every action call it receives.

`python -m bench.action_recorder --port P --record-dir D` is started by `make bench` in place
of `python -m rasa_sdk --actions actions` for a few turns, so the profiler can replay the
exact requests Rasa sent (tracker, domain and all) without a Rasa server.
"""

from __future__ import annotations

import argparse
import itertools
import zlib
from pathlib import Path

from rasa_sdk.endpoint import create_app
from sanic.request import Request


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--record-dir", type=Path, required=True)
    args = parser.parse_args()
    args.record_dir.mkdir(parents=True, exist_ok=True)
    numbers = itertools.count(1)
    app = create_app("actions")

    @app.on_request
    async def record(request: Request) -> None:
        if request.path == "/webhook" and request.method == "POST":
            body = request.body
            if request.headers.get("Content-Encoding") == "deflate":
                body = zlib.decompress(body)
            (args.record_dir / f"{next(numbers):04d}.json").write_bytes(body)

    app.run("127.0.0.1", args.port, workers=1, access_log=False)


if __name__ == "__main__":
    main()
