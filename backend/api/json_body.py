"""JSON request bodies that parse but are not data we can store are refused up front.

Python's ``json`` accepts a lone UTF-16 surrogate (``"\\ud800"``), which no UTF-8 encoder (the
database's included) will take, and gives up on deep nesting with a ``RecursionError``. Either
used to end as a 500 somewhere downstream; here each is a 400 before any handler runs. Other
malformed JSON is left to the route's own parsing, which already answers 400.
"""

from __future__ import annotations

import json
import re
from typing import Any

from apiflask import APIFlask
from flask import request

from model.errors import InvalidInput

MAX_DEPTH = 64
"""Deeper than any request schema of the API needs."""
SURROGATE = re.compile("[\ud800-\udfff]")


def refuse_unstorable(value: Any) -> None:
    """Raise ``InvalidInput`` if a parsed JSON ``value`` nests deeper than ``MAX_DEPTH`` or
    holds a lone surrogate in a string or key (walked without recursion)."""
    pending: list[tuple[Any, int]] = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, str):
            if SURROGATE.search(item):
                raise InvalidInput(
                    "The JSON holds a lone UTF-16 surrogate (\\ud800-\\udfff), which is not text."
                )
            continue
        if not isinstance(item, dict | list):
            continue
        if depth > MAX_DEPTH:
            raise InvalidInput(f"The JSON is nested more than {MAX_DEPTH} levels deep.")
        children = [*item.keys(), *item.values()] if isinstance(item, dict) else item
        pending.extend((child, depth + 1) for child in children)


def check_json_body() -> None:
    """Before each request with a JSON body: refuse what ``refuse_unstorable`` refuses."""
    if not request.is_json:
        return
    data = request.get_data(cache=True)
    if not data:
        return
    try:
        value = json.loads(data)
    except RecursionError as exc:
        raise InvalidInput(f"The JSON is nested more than {MAX_DEPTH} levels deep.") from exc
    except ValueError:
        return  # malformed: the route's parser answers 400 with its own message
    refuse_unstorable(value)


def register(app: APIFlask) -> None:
    app.before_request(check_json_body)
