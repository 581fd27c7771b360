"""One exception root for Coverscope; the API maps each class to an HTTP status in one place."""


class CoverscopeError(Exception):
    """Root of every error Coverscope raises on purpose."""

    code = "error"
    http_status = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(CoverscopeError):
    code = "invalid_input"
    http_status = 400


class UndecodableAudio(InvalidInput):
    """The bytes are not audio ffmpeg can decode, or hold no samples."""

    code = "undecodable_audio"
    http_status = 422


class InvalidSource(InvalidInput):
    """A URL that is malformed or points somewhere we refuse to fetch."""

    code = "invalid_source"


class SourceUnavailable(CoverscopeError):
    """The source exists in form but cannot be fetched (private, removed, network)."""

    code = "source_unavailable"
    http_status = 422


class TooLarge(InvalidInput):
    code = "too_large"
    http_status = 413


class NotFound(CoverscopeError):
    code = "not_found"
    http_status = 404


class Conflict(CoverscopeError):
    code = "conflict"
    http_status = 409


class Unauthorized(CoverscopeError):
    code = "unauthorized"
    http_status = 401


class StorageUnavailable(CoverscopeError):
    """The database or the feature store cannot be reached right now."""

    code = "storage_unavailable"
    http_status = 503


class ModelError(CoverscopeError):
    """A checkpoint is missing, corrupt or incompatible."""

    code = "model_error"
    http_status = 500
