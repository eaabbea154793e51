"""Binding the login manager to an app: where to sign in, and how a cookie finds its user."""

from __future__ import annotations

from flask import Flask

from coalition.auth.models import User
from coalition.extensions import db, login_manager


def _load_user(user_id: str) -> User | None:
    """The user of a session or remember-me cookie, if it is still valid.

    The id carries the user's session token, so a password change or a deactivation
    (which rotate the token) ends every session at once.
    """
    ident, _, token = user_id.partition(":")
    if not ident.isdigit():
        return None
    user = db.session.get(User, int(ident))
    if user is None or user.session_token != token or not user.is_active:
        return None
    return user


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please sign in to see this page."
    login_manager.login_message_category = "info"
    login_manager.user_loader(_load_user)
