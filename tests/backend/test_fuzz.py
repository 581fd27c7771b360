"""A property-based fuzz of every operation the API publishes in its OpenAPI spec.

Schemathesis reads ``/api/openapi.json`` from the real app (embedded defaults: the SecantusDB
server, a local feature folder, the SQLite queue) and sends each operation schema-valid and
schema-invalid requests, writes signed with the API key as the UI signs them. Every answer must
be no server error, carry a status code and a content type the spec documents for that
operation and match the documented schema; a schema-invalid request must be refused (4xx); an
operation the spec secures must refuse a request without the key; a method the spec does not
list must answer 405.

Nothing is excluded: the API has no operation that empties the library (bulk delete removes
only the ids it is sent, which the fuzzer invents). Not checked: that every schema-valid
request is accepted. Some are refused for reasons a schema cannot state (a URL from a source
we do not download from, bytes that are not audio), with a documented 400 or 422.

Bounded for the test command: a fixed seed (derandomized), ``MAX_EXAMPLES`` per operation and
generation mode (an operation with fewer possible inputs runs out sooner), no shrinking.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
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
    ignored_auth,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)

from backend.storage.embedded import EmbeddedMongo
from tests.backend.stack import Stack, build_stack

MAX_EXAMPLES = 50
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
    ignored_auth,
    unsupported_method,
]
SENT: Counter[str] = Counter()
"""Cases sent per operation and mode (``positive GET /api/songs``), for the count test."""
NOTHING_TO_NEGATE: set[str] = set()
"""Operations whose inputs cannot be made schema-invalid (free-text path parameters only)."""


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
        {"generation": {"max-examples": MAX_EXAMPLES, "deterministic": True, "no-shrink": True}}
    )
    return schemathesis.openapi.from_wsgi("/api/openapi.json", fuzz_stack.app, config=config)


def fuzz(operation: Any, mode: GenerationMode, *, key: str) -> str | None:
    """Send up to ``MAX_EXAMPLES`` cases of ``mode`` to ``operation``; its failures, if any."""

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
        SENT[f"{mode.value} {operation.label}"] += 1
        case.call_and_validate(headers={"X-API-Key": key}, checks=CHECKS)

    try:
        run()
    except Unsatisfiable:
        if mode is not GenerationMode.NEGATIVE:
            raise
        NOTHING_TO_NEGATE.add(operation.label)
    except (Exception, FailureGroup) as exc:  # a group of check failures is a BaseExceptionGroup
        return str(exc)[:3000]
    return None


def test_every_operation_keeps_its_contract(api_schema: Any, fuzz_stack: Stack) -> None:
    assert fuzz_stack.settings.api_key is not None
    key = fuzz_stack.settings.api_key.get_secret_value()
    failures = {}
    for result in api_schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            if (failure := fuzz(operation, mode, key=key)) is not None:
                failures[f"{mode.value} {operation.label}"] = failure
    report = "\n\n".join(f"== {name}\n{text}" for name, text in sorted(failures.items()))
    assert not failures, f"{len(failures)} operations broke their contract:\n{report}"


def test_every_operation_was_fuzzed(fuzz_stack: Stack) -> None:
    """Each published operation got schema-valid cases, and schema-invalid ones unless none
    exist (runs after the fuzz, in file order). ``pytest -s`` prints the counts."""
    spec = fuzz_stack.client.get("/api/openapi.json").get_json()
    published = {
        f"{method.upper()} {path}"
        for path, item in spec["paths"].items()
        for method in item
        if method in {"get", "put", "post", "patch", "delete"}
    }
    for label in sorted(published):
        negative = "none possible" if label in NOTHING_TO_NEGATE else SENT[f"negative {label}"]
        print(f"{label:45s} positive {SENT[f'positive {label}']:3d}  negative {negative}")
    assert all(SENT[f"positive {label}"] for label in published)
    assert all(SENT[f"negative {label}"] or label in NOTHING_TO_NEGATE for label in published)
