"""One exception root for Coverscope; each class has a stable machine-readable ``code``."""


class CoverscopeError(Exception):
    """Root of every error Coverscope raises on purpose."""

    code = "error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(CoverscopeError):
    code = "invalid_input"


class UndecodableAudio(InvalidInput):
    """The bytes are not audio ffmpeg can decode, or hold no samples."""

    code = "undecodable_audio"


class InvalidSource(InvalidInput):
    """A URL that is malformed or points somewhere we refuse to fetch."""

    code = "invalid_source"


class SourceUnavailable(CoverscopeError):
    """The source exists in form but cannot be fetched (private, removed, network)."""

    code = "source_unavailable"


class TooLarge(InvalidInput):
    code = "too_large"


class NotFound(CoverscopeError):
    code = "not_found"


class Conflict(CoverscopeError):
    code = "conflict"


class Unauthorized(CoverscopeError):
    code = "unauthorized"


class Overloaded(CoverscopeError):
    """Too much CPU-bound work is already running or waiting; try again in ``retry_after``
    seconds (cheap requests are not affected)."""

    code = "overloaded"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class StorageUnavailable(CoverscopeError):
    """The database or the feature store cannot be reached right now."""

    code = "storage_unavailable"


class ModelError(CoverscopeError):
    """A checkpoint is missing, corrupt or incompatible."""

    code = "model_error"


class AnalysisPending(Conflict):
    """A stored song has no scorer analysis of the current version yet (being backfilled)."""

    code = "analysis_pending"


class Misconfigured(CoverscopeError):
    """The service was started without something it cannot run safely without."""

    code = "misconfigured"
