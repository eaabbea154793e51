"""Coalition: CRM and mailing-list manager for multistakeholder coalitions."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the application. `config` overrides every other source (tests use it)."""
    from coalition import config as settings
    from coalition import errors_web, security, templating
    from coalition.auth import setup as auth_setup
    from coalition.db import configure_engine
    from coalition.extensions import csrf, db
    from coalition.mail import outgoing

    if not (PROJECT_ROOT / "templates").is_dir():
        raise RuntimeError(f"templates not found under {PROJECT_ROOT}: install Coalition from "
                           "a checkout with `pip install -e .`")
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    instance_path = Path((config or {}).get("INSTANCE_PATH", app.instance_path))
    app.instance_path = str(instance_path)
    values = settings.load_settings(instance_path)
    values.update({k: v for k, v in (config or {}).items() if k in values})
    values = settings.resolve(values, instance_path)
    app.config.update(values)
    https = values["BASE_URL"].startswith("https://")
    app.config.update(
        SQLALCHEMY_DATABASE_URI=values["DATABASE_URL"],
        SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True},
        MAX_CONTENT_LENGTH=values["UPLOAD_MAX_MB"] * 1024 * 1024,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=https,
        SESSION_COOKIE_NAME="coalition_session",
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=https,
        REMEMBER_COOKIE_DURATION=timedelta(days=30),
        REMEMBER_COOKIE_NAME="coalition_remember",
        PERMANENT_SESSION_LIFETIME=timedelta(days=1),
        PREFERRED_URL_SCHEME="https" if https else "http",
        WTF_CSRF_TIME_LIMIT=None,  # tied to the session instead; a long form never expires
    )
    app.config.update({k: v for k, v in (config or {}).items() if k not in values})
    logging.basicConfig(level=app.config["LOG_LEVEL"])
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)

    db.init_app(app)
    csrf.init_app(app)
    auth_setup.init_app(app)
    outgoing.install(db.session.session_factory.class_)
    with app.app_context():
        configure_engine(db.engine)

    security.init_app(app)
    templating.init_app(app)
    errors_web.init_app(app)
    _register_blueprints(app)
    _register_commands(app)
    return app


def _register_blueprints(app: Flask) -> None:
    from coalition.actions.api import bp as actions_api_bp
    from coalition.actions.export_views import bp as action_export_bp
    from coalition.actions.manage_views import bp as action_manage_bp
    from coalition.actions.views import bp as actions_bp
    from coalition.api.token_views import bp as api_tokens_bp
    from coalition.api.views import bp as api_bp
    from coalition.audit.views import bp as audit_bp
    from coalition.auth.views import bp as auth_bp
    from coalition.mail.manage_views import bp as list_manage_bp
    from coalition.mail.moderation_views import bp as moderation_bp
    from coalition.mail.post_views import bp as list_posts_bp
    from coalition.mail.views import bp as lists_bp
    from coalition.main.views import bp as main_bp
    from coalition.members.balance_views import bp as balance_bp
    from coalition.members.import_views import bp as member_import_bp
    from coalition.members.join_views import bp as join_bp
    from coalition.members.views import bp as members_bp
    from coalition.reports.api import bp as reports_api_bp
    from coalition.reports.feeds import bp as report_feeds_bp
    from coalition.reports.manage_views import bp as report_manage_bp
    from coalition.reports.views import bp as reports_bp

    for blueprint in (main_bp, auth_bp, audit_bp, members_bp, join_bp, member_import_bp,
                      balance_bp, actions_bp, action_manage_bp, action_export_bp,
                      reports_bp, report_manage_bp, report_feeds_bp, api_bp, reports_api_bp,
                      actions_api_bp, api_tokens_bp, list_manage_bp, list_posts_bp, moderation_bp,
                      lists_bp):
        app.register_blueprint(blueprint)


def _register_commands(app: Flask) -> None:
    from coalition.actions.cli import actions_cli
    from coalition.auth.cli import users_cli
    from coalition.demo import demo_cli
    from coalition.mail.cli import mail_cli
    from coalition.members.cli import members_cli
    from coalition.migrate import db_cli
    from coalition.reports.cli import reports_cli

    for group in (db_cli, users_cli, members_cli, actions_cli, reports_cli, mail_cli, demo_cli):
        app.cli.add_command(group)
