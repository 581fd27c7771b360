"""The HTTP API: the app factory, one blueprint per resource under ``/api``, schemas, errors."""
