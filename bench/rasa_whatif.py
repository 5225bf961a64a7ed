"""`rasa` with the action-response validator built once, for `make bench` (also `rasa shell`-style runs).

Every `rasa run` of this project installs it through the health channel (bot/action_validation.py);
this entry point installs it for commands that load no credentials.

Rasa 3.6 checks every action-server response with `jsonschema.validate(result, schema)`,
which re-checks the schema itself against the Draft 2020-12 meta-schema on every call
(about 20 ms with jsonschema 4.17). Here the validator is built once; a response is
validated against the same schema and a bad one still raises ValidationError.

    python -m bench.rasa_whatif run --model … (the arguments of `rasa`)
"""

from __future__ import annotations

import sys

from bot.action_validation import install_prebuilt_validator


def main() -> None:
    from rasa.__main__ import main as rasa_main

    install_prebuilt_validator()
    sys.argv = ["rasa", *sys.argv[1:]]
    rasa_main()


if __name__ == "__main__":
    main()
