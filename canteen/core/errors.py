"""Errors raised by services; entry points turn them into pages, JSON or CLI messages."""
from __future__ import annotations


class ServiceError(Exception):
    """Base class; ``status`` is the HTTP status an API answers with."""

    status = 400

    def __init__(self, message: str, fields: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


class InvalidInput(ServiceError):
    """Input failed validation; ``fields`` maps each bad field to what is wrong."""

    status = 422


class NotFound(ServiceError):
    """The thing asked for does not exist (or is outside the caller's scope)."""

    status = 404


class Forbidden(ServiceError):
    """The caller may not do this."""

    status = 403


class Conflict(ServiceError):
    """The request clashes with what is stored (a duplicate, a stale state)."""

    status = 409


class FieldErrors(dict[str, str]):
    """Collects one message per field, then raises them together."""

    def raise_if_any(self, message: str = "invalid input") -> None:
        """Raise InvalidInput when any field failed."""
        if self:
            raise InvalidInput(message, dict(self))
