"""How a JSON API request says who it is (a Bearer token or the browser's session), and
how every error under /api/ is answered: `{"error": {"code": ..., "message": ...}}`."""

from __future__ import annotations

from flask import Blueprint, Response, g, jsonify, request
from flask.blueprints import BlueprintSetupState
from flask_login import current_user
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound, default_exceptions

from coalition import errors
from coalition.api import services
from coalition.auth.models import User
from coalition.db import utcnow, writes_on_get
from coalition.extensions import csrf, db

API_PREFIX = "/api/"
REALM = 'Bearer realm="Coalition API"'

CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
         405: "method_not_allowed", 413: "too_large", 422: "invalid_parameter",
         429: "too_many_requests", 500: "server_error"}
MESSAGES = {
    401: "Sign in, or send a personal access token as 'Authorization: Bearer <token>'.",
    403: "You are not allowed to do that.",
    404: "There is nothing at this address, or you may not see it.",
    405: "This address does not accept that method.",
    500: "Something went wrong. The error has been logged.",
}


class ApiError(Exception):
    """An answer other than success, with a code a program can branch on."""

    def __init__(self, status: int, message: str, code: str | None = None,
                 parameter: str | None = None, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code or CODES.get(status, "error")
        self.parameter = parameter
        self.headers = headers or {}


def invalid_parameter(parameter: str, message: str) -> ApiError:
    return ApiError(422, f"{parameter}: {message}", parameter=parameter)


def error_response(error: ApiError) -> Response:
    body: dict = {"code": error.code, "message": error.message}
    if error.parameter:
        body["parameter"] = error.parameter
    response = jsonify({"error": body})
    response.status_code = error.status
    response.headers.update(error.headers)
    return response


def _unauthorized(message: str, code: str = "unauthorized",
                  challenge_error: str | None = None) -> ApiError:
    challenge = REALM
    if challenge_error:
        # RFC 6750 §3: say why a token was refused, so a client knows to get a new one.
        challenge += f', error="{challenge_error}", error_description="{message}"'
    return ApiError(401, message, code, headers={"WWW-Authenticate": challenge})


# --- who is calling -------------------------------------------------------------------

def caller() -> User | None:
    """The user this API request acts as (by token or session), or None if anonymous."""
    return g.get("api_caller")


def require_caller() -> User:
    user = caller()
    if user is None:
        raise _unauthorized(MESSAGES[401])
    return user


def authenticate_request() -> None:
    """Run before every API view. An Authorization header decides alone: a bad one is a
    401 even when a browser session is also present (a client that sent a token wants
    that token checked, not a silent fallback to whoever is signed in)."""
    header = request.headers.get("Authorization")
    if header is not None:
        scheme, _, secret = header.strip().partition(" ")
        if scheme.lower() != "bearer":
            raise _unauthorized("Only 'Authorization: Bearer <token>' is accepted.",
                                challenge_error="invalid_request")
        writes_on_get(db.session)  # last_used_at
        user = services.authenticate_token(secret.strip(), utcnow())
        if user is None:
            raise _unauthorized("This token is not valid: it is unknown, revoked, or its "
                                "owner can no longer use the API.", "invalid_token",
                                challenge_error="invalid_token")
        db.session.commit()  # last_used_at (at most once a minute)
        g.api_caller = user
        g.api_authenticated_by = "token"
        return
    if current_user.is_authenticated:
        # A browser could be made to send the session cookie by another site; a token it
        # cannot. So only session-authenticated writes need the CSRF check.
        csrf.protect()
        g.api_caller = current_user._get_current_object()
        g.api_authenticated_by = "session"


def _no_store(response: Response) -> Response:
    # Answers carry personal data and depend on who asks; a token request has no session,
    # so the app-wide rule (no-store for signed-in pages) would not catch it.
    response.headers["Cache-Control"] = "private, no-store"
    return response


# --- errors as JSON -------------------------------------------------------------------

def _http_error(error: HTTPException) -> Response:
    status = error.code or 500
    message = MESSAGES.get(status) or error.description or "The request failed."
    if status == 400 and error.description:
        message = error.description  # a CSRF failure or a malformed request says which
    api_error = ApiError(status, message)
    if isinstance(error, MethodNotAllowed) and error.valid_methods:
        api_error.headers["Allow"] = ", ".join(sorted(error.valid_methods))
    return _no_store(error_response(api_error))


def _json_routing_errors(state: BlueprintSetupState) -> None:
    """An unknown address or method under /api/ fails in routing, before any blueprint is
    chosen, so only the app's handlers see it: wrap them to answer JSON there and leave
    every other page's error page as it was."""
    app = state.app
    for code, exception in ((404, NotFound), (405, MethodNotAllowed)):
        previous = app.error_handler_spec[None][code].get(exception)

        def handler(error, previous=previous):
            if request.path.startswith(API_PREFIX):
                return _http_error(error)
            return previous(error) if previous is not None else error

        app.register_error_handler(code, handler)


def install(bp: Blueprint) -> None:
    """Authentication, CSRF, caching and JSON errors for an API blueprint."""
    csrf.exempt(bp)  # checked in authenticate_request, for session callers only
    bp.before_request(authenticate_request)
    bp.after_request(_no_store)
    bp.record_once(_json_routing_errors)

    @bp.errorhandler(ApiError)
    def _api_error(error: ApiError):
        return _no_store(error_response(error))

    @bp.errorhandler(errors.ValidationError)
    def _invalid(error: errors.ValidationError):
        return error_response(ApiError(422, error.message, parameter=error.field))

    @bp.errorhandler(errors.PermissionDenied)
    def _denied(error: errors.PermissionDenied):
        return error_response(ApiError(403, error.message))

    @bp.errorhandler(errors.NotFound)
    def _not_found(error: errors.NotFound):
        return error_response(ApiError(404, error.message))

    # By code, not only by class: Flask looks for a handler of the code in the app before
    # it looks for one of the class in the blueprint, and the app has HTML ones.
    for code in default_exceptions:
        bp.register_error_handler(code, _http_error)
    bp.register_error_handler(HTTPException, _http_error)
