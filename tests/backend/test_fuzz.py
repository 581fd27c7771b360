"""A property-based fuzz of every operation the API publishes in its OpenAPI spec.

Schemathesis reads ``/api/openapi.json`` from the real app (embedded defaults: the SecantusDB
server, a local feature folder, the SQLite queue) and sends each operation schema-valid and
schema-invalid requests, writes signed with the API key as the UI signs them. Every answer must
be no server error, carry a status code and a content type the spec documents for that
operation, and match the documented schema. Nothing is excluded: the API has no operation that
empties the library (bulk delete removes only the ids it is sent, which the fuzzer invents).

Bounded for the test command: a fixed seed (derandomized), ``MAX_EXAMPLES`` per operation and
generation mode (operations with few possible inputs run out sooner), no shrinking.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from backend.storage.embedded import EmbeddedMongo
from tests.backend.stack import Stack, build_stack

MAX_EXAMPLES = 50
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
SENT: Counter[str] = Counter()
"""Requests sent per operation (``METHOD /path``), for the count test at the end."""


@pytest.fixture(scope="module")
def fuzz_stack(
    tmp_path_factory: pytest.TempPathFactory, mongo: EmbeddedMongo, audio_server: str
) -> Iterator[Stack]:
    """The app on embedded defaults, without a worker: queued jobs just wait, and the
    fuzzer's requests never depend on one finishing."""
    yield build_stack(tmp_path_factory.mktemp("fuzz"), mongo, audio_server, worker=False)


@pytest.fixture(scope="module")
def api_schema(fuzz_stack: Stack) -> Any:
    config = schemathesis.Config.from_dict(
        {
            "generation": {
                "max-examples": MAX_EXAMPLES,
                "deterministic": True,
                "no-shrink": True,
            }
        }
    )
    return schemathesis.openapi.from_wsgi("/api/openapi.json", fuzz_stack.app, config=config)


def operations(api_schema: Any) -> list[Any]:
    return [result.ok() for result in api_schema.get_all_operations()]


def fuzz(operation: Any, mode: GenerationMode, *, key: str, failures: dict[str, str]) -> None:
    """Send ``MAX_EXAMPLES`` cases of ``mode`` to ``operation``; record its first failure."""

    @given(operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=MAX_EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    def run(case: Any) -> None:
        SENT[operation.label] += 1
        case.call_and_validate(headers={"X-API-Key": key}, checks=CHECKS)

    try:
        run()
    except Unsatisfiable:
        # Every generated case was filtered out: nothing in this operation's inputs can be made
        # schema-invalid (free-text path parameters only). Counted, so the count test sees it.
        if mode is not GenerationMode.NEGATIVE:
            raise
        SENT[f"{operation.label} (nothing to negate)"] += 0
    except (Exception, FailureGroup) as exc:  # a group of check failures is a BaseExceptionGroup
        failures[f"{mode.value} {operation.label}"] = str(exc)[:3000]


def test_every_operation_keeps_its_contract(api_schema: Any, fuzz_stack: Stack) -> None:
    assert fuzz_stack.settings.api_key is not None
    key = fuzz_stack.settings.api_key.get_secret_value()
    failures: dict[str, str] = {}
    for operation in operations(api_schema):
        fuzz(operation, GenerationMode.POSITIVE, key=key, failures=failures)
        fuzz(operation, GenerationMode.NEGATIVE, key=key, failures=failures)
    report = "\n\n".join(f"== {name}\n{text}" for name, text in sorted(failures.items()))
    (fuzz_stack.settings.data_dir / "fuzz-failures.txt").write_text(report)
    assert not failures, f"{len(failures)} contract failures:\n{report}"


def test_every_operation_was_fuzzed(fuzz_stack: Stack) -> None:
    """Each published operation got requests (run after the fuzz, in file order)."""
    spec = fuzz_stack.client.get("/api/openapi.json").get_json()
    published = {
        f"{method.upper()} {path}"
        for path, item in spec["paths"].items()
        for method in item
        if method in {"get", "put", "post", "patch", "delete"}
    }
    assert published <= set(SENT), sorted(published - set(SENT))
    Path(fuzz_stack.settings.data_dir / "fuzz-counts.txt").write_text(
        "\n".join(f"{n:4d} {op}" for op, n in sorted(SENT.items()))
    )
