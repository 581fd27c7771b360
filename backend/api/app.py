"""The app factory: ``create_app(settings)`` builds the components and registers the blueprints."""

from __future__ import annotations

import atexit
import logging
import warnings

from apiflask import APIBlueprint, APIFlask

from backend.api import check, contract, errors, health, jobs, json_body, rank, security, songs
from backend.api import map as map_api
from backend.api import model as model_api
from backend.api.components import EXTENSION, Components, build_components
from backend.api.web import PagePath, docs_assets_blueprint, frontend_blueprint
from backend.settings import Settings
from backend.storage.embedded import EmbeddedMongo
from model.embed import Embedder

log = logging.getLogger(__name__)


def blueprints() -> list[APIBlueprint]:
    return [health.bp, songs.bp, jobs.bp, check.bp, rank.bp, model_api.bp, map_api.bp]


def create_app(
    settings: Settings | None = None, *, components: Components | None = None
) -> APIFlask:
    """Build the API. Without ``MONGODB_URI`` it starts the embedded database itself.
    Raises ``Misconfigured`` without ``API_KEY``."""
    if components is None:
        settings = settings or Settings.from_env()
        security.configured_key(settings)
        if not settings.mongodb_uri:
            embedded = EmbeddedMongo(settings.db_dir).start()
            atexit.register(embedded.stop)
            settings = settings.with_(mongodb_uri=embedded.uri)
        components = build_components(settings)
    settings = components.settings
    warm_up(components.embedder)

    # APIFlask registers a schema used both nested and top-level twice; the spec is still right.
    warnings.filterwarnings("ignore", message=r".*already been added to the spec", module="apispec")
    app = APIFlask(
        __name__,
        title="Coverscope API",
        version="1.0",
        spec_path="/api/openapi.json",
        docs_path="/api/docs",
        json_errors=True,
    )
    app.config.update(
        VALIDATION_ERROR_STATUS_CODE=400,
        MAX_CONTENT_LENGTH=settings.max_upload_bytes + 1024 * 1024,
        SPEC_FORMAT="json",
        INFO={"description": "Is this the same song? Ranks a music library by similarity."},
    )
    app.extensions[EXTENSION] = components
    app.url_map.converters.update(songs.CONVERTERS, page=PagePath)
    contract.register(app, private_reads=settings.private_reads)
    errors.register(app)
    security.register(app, settings)  # the key is checked before the body is read
    json_body.register(app)

    for blueprint in blueprints():
        app.register_blueprint(blueprint)
    if (assets := docs_assets_blueprint()) is not None:
        app.register_blueprint(assets)
        app.config.update(
            SWAGGER_UI_CSS="/api/docs/assets/swagger-ui.css",
            SWAGGER_UI_BUNDLE_JS="/api/docs/assets/swagger-ui-bundle.js",
            SWAGGER_UI_STANDALONE_PRESET_JS="/api/docs/assets/swagger-ui-standalone-preset.js",
            DOCS_FAVICON="/api/docs/assets/favicon-32x32.png",
        )
    if settings.frontend_dir and (settings.frontend_dir / "index.html").is_file():
        app.register_blueprint(frontend_blueprint(settings.frontend_dir))
    return app


def warm_up(embedder: Embedder) -> None:
    """Run the model once so the first real request does not pay for lazy initialisation."""
    import numpy as np

    from model.hpcp import cnn_features

    chroma = np.random.default_rng(0).random((12, 2000), dtype=np.float32)
    features = cnn_features(chroma)
    embedder.embed(features)
    embedder.embed_segments(features)
