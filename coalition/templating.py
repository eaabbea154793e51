"""Template filters shared by every page."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Flask


def machine_time(value: datetime) -> str:
    """For <time datetime="...">: UTC to the second, the form HTML accepts."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def organization_group_label(code: str | None) -> str:
    from coalition.members.models import StakeholderGroup

    return StakeholderGroup(code).label if code else ""


def country_name(code: str | None) -> str | None:
    from coalition.members import countries

    return countries.name_of(code)


def init_app(app: Flask) -> None:
    app.add_template_filter(machine_time)
    app.add_template_global(organization_group_label)
    app.add_template_global(country_name)
