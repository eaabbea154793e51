"""Template filters shared by every page."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Flask


def machine_time(value: datetime) -> str:
    """For <time datetime="...">: UTC to the second, the form HTML accepts."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def init_app(app: Flask) -> None:
    app.add_template_filter(machine_time)
