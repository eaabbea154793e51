"""Checks shared by every domain: e-mail addresses, passwords, names."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email

from coalition.errors import ValidationError

PASSWORD_MIN_LENGTH = 10
PASSWORD_MAX_LENGTH = 256


def normalize_email(value: str, field: str = "email") -> str:
    """A syntactically valid address, normalised and lower-cased (our unique key)."""
    value = (value or "").strip()
    if not value:
        raise ValidationError(field, "Enter an e-mail address.")
    try:
        result = validate_email(value, check_deliverability=False)
    except EmailNotValidError as error:
        raise ValidationError(field, f"This is not a valid e-mail address: {error}") from error
    return result.normalized.lower()


def check_password(password: str, email: str = "", field: str = "password") -> None:
    if len(password) < PASSWORD_MIN_LENGTH:
        raise ValidationError(
            field, f"Choose a password of at least {PASSWORD_MIN_LENGTH} characters.")
    if len(password) > PASSWORD_MAX_LENGTH:
        raise ValidationError(
            field, f"Choose a password of at most {PASSWORD_MAX_LENGTH} characters.")
    if email and password.strip().lower() == email.lower():
        raise ValidationError(field, "Your password cannot be your e-mail address.")
    if len(set(password)) < 4:
        raise ValidationError(field, "This password is too easy to guess.")


def clean_name(value: str, field: str = "name", max_length: int = 200) -> str:
    value = " ".join((value or "").split())
    if not value:
        raise ValidationError(field, "Enter a name.")
    if len(value) > max_length:
        raise ValidationError(field, f"Keep it under {max_length} characters.")
    return value
