"""The published OpenAPI spec, finished so it tells the whole truth about every operation.

APIFlask writes most of the spec from the routes' ``@input``/``@output``. This adds what it
cannot know: bodies a handler reads itself (multipart uploads; JSON *or* CSV), answers of a
second shape on another status (``@documents``), the API key each operation needs (the rule in
``security.needs_key``), the error statuses every operation can answer (one ``Error`` shape
for all), and one component per schema (APIFlask registers some twice, as ``Song1``...).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from apiflask import APIFlask, Schema
from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

from backend.api import schemas
from backend.api.security import KEY_HEADER, needs_key

OPENAPI_VERSION = "3.0.3"
"""3.0: what the bundled Swagger UI (4.x) renders; 3.1 adds nothing this API needs."""
SECURITY_SCHEME = "ApiKey"
METHODS = ("get", "put", "post", "patch", "delete")
View = TypeVar("View", bound=Callable[..., Any])

COMMON_ERRORS = {
    400: "Invalid input: a parameter or the body does not match the schema, or is refused",
    401: f"A valid {KEY_HEADER} header is needed",
    413: "The request body is over the size limit",
    503: "The database or the feature store is unreachable",
}


@dataclass(frozen=True)
class Documented:
    """What ``@documents`` adds to a route's operation."""

    body: dict[str, type[Schema]] = field(default_factory=dict)
    """The request body the handler reads itself, per content type."""
    responses: dict[int, tuple[type[Schema], str]] = field(default_factory=dict)
    """Answers besides the ``@output`` one: status -> (schema, description)."""
    files: dict[int, tuple[tuple[str, ...], str]] = field(default_factory=dict)
    """Answers that are files, not JSON: status -> (media types, description)."""


def documents(
    *,
    body: Mapping[str, type[Schema]] | None = None,
    responses: Mapping[int, tuple[type[Schema], str]] | None = None,
    files: Mapping[int, tuple[tuple[str, ...], str]] | None = None,
) -> Callable[[View], View]:
    """Declare a body or answers ``@input``/``@output`` cannot (put it under the route)."""

    def mark(view: View) -> View:
        documented = Documented(dict(body or {}), dict(responses or {}), dict(files or {}))
        view._documented = documented  # type: ignore[attr-defined]
        return view

    return mark


def spec_path(rule: str) -> str:
    """A Flask rule (``/api/songs/<objectid:song_id>``) as an OpenAPI path."""
    return re.sub(r"<(?:[^<>:]+:)?([^<>]+)>", r"{\1}", rule)


def component_schemas(named: dict[str, type[Schema]]) -> dict[str, Any]:
    """JSON schemas of marshmallow schemas by name, with the components they nest."""
    spec = APISpec("components", "1", OPENAPI_VERSION, plugins=[MarshmallowPlugin()])
    for name, schema in named.items():
        spec.components.schema(name, schema=schema)
    found: dict[str, Any] = spec.to_dict()["components"]["schemas"]
    return found


def _json_response(schema_name: str, description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": schemas.ref(schema_name)}},
    }


def _merge_components(spec: dict[str, Any], extra: dict[str, Any]) -> None:
    known = spec.setdefault("components", {}).setdefault("schemas", {})
    for name, schema in extra.items():
        known.setdefault(name, schema)


def _dedupe_components(spec: dict[str, Any]) -> None:
    """Drop ``Song1``-style copies of a component, pointing their references at the original."""
    known = spec["components"]["schemas"]
    renamed = {}
    for name in list(known):
        match = re.fullmatch(r"(.+?)(\d+)", name)
        if match and match[1] in known and known[match[1]] == known[name]:
            renamed[name] = match[1]
            del known[name]
    renamed |= {"HTTPError": "Error", "ValidationError": "Error"}
    for old in ("HTTPError", "ValidationError"):
        known.pop(old, None)
    text = json.dumps(spec)
    for old, new in renamed.items():
        text = text.replace(f'"#/components/schemas/{old}"', f'"#/components/schemas/{new}"')
    spec.clear()
    spec.update(json.loads(text))


def _nullable_refs(node: Any) -> Any:
    """apispec writes a nullable nested schema as ``anyOf: [{type: object, nullable}, {$ref}]``,
    whose first branch admits any object; OpenAPI 3.0 says it as ``{allOf: [{$ref}],
    nullable: true}``."""
    if isinstance(node, list):
        return [_nullable_refs(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _nullable_refs(value) for key, value in node.items()}
    branches = node.get("anyOf")
    if (
        isinstance(branches, list)
        and len(branches) == 2
        and branches[0] == {"nullable": True, "type": "object"}
        and set(branches[1]) == {"$ref"}
    ):
        del node["anyOf"]
        node |= {"allOf": [branches[1]], "nullable": True}
    return node


def _views_by_operation(app: APIFlask) -> dict[tuple[str, str], Any]:
    views = {}
    for rule in app.url_map.iter_rules():
        for method in rule.methods or ():
            views[(spec_path(rule.rule), method.lower())] = app.view_functions[rule.endpoint]
    return views


def _path_patterns(app: APIFlask) -> dict[tuple[str, str], str]:
    """(OpenAPI path, parameter) -> the pattern its converter matches, for converters of ours."""
    patterns = {}
    for rule in app.url_map.iter_rules():
        for converter, name in re.findall(r"<([^<>:]+):([^<>]+)>", rule.rule):
            regex = getattr(app.url_map.converters[converter], "regex", None)
            if converter not in {"path", "default", "string"} and regex:
                patterns[(spec_path(rule.rule), name)] = f"^{regex}$"
    return patterns


def finish_spec(app: APIFlask, spec: dict[str, Any], *, private_reads: bool) -> dict[str, Any]:
    """The spec APIFlask generated, completed (see the module docstring)."""
    documented = [getattr(view, "_documented", None) for view in app.view_functions.values()]
    extra: dict[str, type[Schema]] = {"Error": schemas.Error}
    for doc in documented:
        if doc is not None:
            extra |= {s.__name__: s for s in doc.body.values()}
            extra |= {s.__name__: s for s, _ in doc.responses.values()}
    _merge_components(spec, component_schemas(extra))
    spec["components"]["securitySchemes"] = {
        SECURITY_SCHEME: {"type": "apiKey", "in": "header", "name": KEY_HEADER}
    }
    views = _views_by_operation(app)
    patterns = _path_patterns(app)
    for path, item in spec["paths"].items():
        for method in METHODS:
            if method in item:
                for parameter in item[method].get("parameters", []):
                    if (pattern := patterns.get((path, parameter["name"]))) is not None:
                        parameter["schema"]["pattern"] = pattern
                _finish_operation(
                    item[method],
                    views.get((path, method)),
                    keyed=needs_key(method.upper(), path, private_reads=private_reads),
                )
    for name, component in spec["components"]["schemas"].items():
        component.update(getattr(getattr(schemas, name, None), "OPENAPI_EXTRA", {}))
    _dedupe_components(spec)
    return dict(_nullable_refs(spec))


def _finish_operation(operation: dict[str, Any], view: Any, *, keyed: bool) -> None:
    doc: Documented | None = getattr(view, "_documented", None)
    responses = operation.setdefault("responses", {})
    if doc is not None:
        if doc.body:
            operation["requestBody"] = {
                "content": {
                    content_type: {"schema": schemas.ref(schema.__name__)}
                    for content_type, schema in doc.body.items()
                }
            }
        for status, (schema, description) in doc.responses.items():
            responses[str(status)] = _json_response(schema.__name__, description)
        for status, (media_types, description) in doc.files.items():
            binary = {"schema": {"type": "string", "format": "binary"}}
            responses[str(status)] = {
                "description": description,
                "content": {media_type: binary for media_type in media_types},
            }
    if "requestBody" in operation:
        operation["requestBody"]["required"] = True
    errors = {503}
    queried = any(p["in"] != "path" for p in operation.get("parameters", []))
    if queried or "requestBody" in operation:
        errors.add(400)
    if "requestBody" in operation:
        errors.add(413)
    if keyed:
        operation["security"] = [{SECURITY_SCHEME: []}]
        errors.add(401)
    for status in sorted(errors):
        responses.setdefault(str(status), _json_response("Error", COMMON_ERRORS[status]))
    for status, response in responses.items():
        if status[0] in "45" and "content" not in response:
            response["content"] = _json_response("Error", "")["content"]


def register(app: APIFlask, *, private_reads: bool) -> None:
    app.config.update(OPENAPI_VERSION=OPENAPI_VERSION)

    def finish(spec: Any) -> dict[str, Any]:
        return finish_spec(app, spec, private_reads=private_reads)

    app.spec_processor(finish)
