"""Small helpers shared by the web views of every domain."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Response, make_response, request, session
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_user
from flask_wtf import FlaskForm

from coalition.errors import ValidationError


def show_error(form: FlaskForm, error: ValidationError) -> None:
    """Put a service's ValidationError next to its field, or at the top of the form."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*field.errors, error.message]
    else:
        form.form_errors.append(error.message)


def acting_user():
    """The signed-in user as a plain object, to hand to a service."""
    return current_user._get_current_object()


def client_ip() -> str:
    return request.remote_addr or "unknown"


def safe_next(target: str | None, default: str) -> str:
    """A local path to return to after signing in; anything pointing elsewhere is ignored."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") \
            or "\\" in target:
        return default
    return target


def page_number() -> int:
    try:
        return max(1, int(request.args.get("page", 1)))
    except ValueError:
        return 1


def token_page(response: ResponseReturnValue) -> Response:
    """A page reached through an e-mailed token: never cached, and the token in its URL
    never leaks to another site through the Referer header."""
    response = make_response(response)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def start_session(user, remember: bool = False) -> None:
    """Sign `user` in with a fresh CSRF token (the one from before signing in is dropped)."""
    session.pop("csrf_token", None)
    login_user(user, remember=remember)
