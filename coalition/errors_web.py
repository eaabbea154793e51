"""Error pages (400, 403, 404, 413, 500) and how domain errors become them."""

from __future__ import annotations

from flask import Flask, render_template
from flask_wtf.csrf import CSRFError

from coalition.errors import NotFound, PermissionDenied

MESSAGES = {
    400: ("Bad request", "The request could not be understood."),
    403: ("Not allowed", "You do not have permission to see or do this."),
    404: ("Page not found", "There is nothing at this address. It may have moved, or the "
                            "link may be mistyped."),
    405: ("Not allowed", "This address does not accept that kind of request."),
    413: ("File too large", "What you sent is larger than this site accepts."),
    500: ("Something went wrong", "The error has been logged. Please try again in a moment."),
}


def render_error(code: int, detail: str | None = None):
    title, message = MESSAGES.get(code, MESSAGES[500])
    return render_template("errors/error.html", code=code, title=title,
                           message=detail or message), code


def init_app(app: Flask) -> None:
    for code in MESSAGES:
        app.register_error_handler(code, lambda error, code=code: render_error(code))

    @app.errorhandler(413)
    def _too_large(_error):
        limit = app.config["UPLOAD_MAX_MB"]
        return render_error(413, f"What you sent is larger than the {limit} MB this site "
                                 "accepts. Nothing was saved.")

    @app.errorhandler(CSRFError)
    def _csrf(_error):
        return render_error(400, "The form's security token was missing or no longer valid, "
                                 "so nothing was changed. Go back, reload the page and try "
                                 "again.")

    @app.errorhandler(PermissionDenied)
    def _denied(error):
        return render_error(403, error.message)

    @app.errorhandler(NotFound)
    def _not_found(error):
        return render_error(404, error.message)
