"""Domain errors raised by services, and how the web edge shows them."""

from __future__ import annotations


class DomainError(Exception):
    """Base of the errors a service raises for a person to read."""


class PermissionDenied(DomainError):
    def __init__(self, message: str = "You are not allowed to do that."):
        super().__init__(message)
        self.message = message


class ValidationError(DomainError):
    """Input that breaks a rule; `field` names the form field it belongs to (or None)."""

    def __init__(self, field: str | None, message: str):
        super().__init__(f"{field}: {message}" if field else message)
        self.field = field
        self.message = message


class NotFound(DomainError):
    def __init__(self, message: str = "Not found."):
        super().__init__(message)
        self.message = message
