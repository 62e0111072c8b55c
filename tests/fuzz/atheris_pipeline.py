"""Coverage-guided fuzzing of ingest's message path with atheris (by hand, not in the suite).

    pip install -e '.[fuzz]'
    mkdir -p /tmp/corpus
    python -m tests.fuzz.atheris_pipeline -atheris_runs=1000000 /tmp/corpus tests/fuzz/seeds

An input's first byte picks the topic (one of pipeline_target.TOPICS, or, past them, the
next bytes up to a NUL as the topic's text); the rest is the payload. The seeds are valid
messages of each type, so mutations start from payloads that get past the JSON parser. Any
exception other than a rejection, or a malformed line, stops the run with the input that
caused it. See docs/reliability.md for the last run's figures.
"""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports():
    from tests.fuzz.pipeline_target import TOPICS, check_one_message


def _one_input(data: bytes) -> None:
    if not data:
        return
    choice, rest = data[0], data[1:]
    if choice < len(TOPICS):
        topic, payload = TOPICS[choice], rest
    else:
        raw, _, payload = rest.partition(b"\0")
        topic = raw.decode("utf-8", "replace")
    check_one_message(topic, payload)


def main() -> None:
    """Run the fuzzer with libFuzzer's command-line options."""
    atheris.Setup(sys.argv, _one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
