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


def filesize(size: int) -> str:
    """A file size as people read it: 812 bytes, 34 KB, 1.2 MB (decimal units)."""
    if size < 1000:
        return f"{size} bytes"
    if size < 1_000_000:
        return f"{size / 1000:.0f} KB"
    return f"{size / 1_000_000:.1f} MB"


def init_app(app: Flask) -> None:
    app.add_template_filter(machine_time)
    app.add_template_filter(filesize)
    app.add_template_global(organization_group_label)
    app.add_template_global(country_name)
