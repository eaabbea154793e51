"""What each audience may see of a member: the public (per-field consent), signed-in
members, and focal contacts. The directory page, its export and the API all use this."""

from __future__ import annotations

from typing import Any

from coalition.members import countries
from coalition.members.models import Member

PUBLIC, MEMBERS, FOCAL = "public", "members", "focal_contact"

# Fields shown to signed-in members (the members-only view); focal contacts see FOCAL_FIELDS.
MEMBER_FIELDS = ("id", "name", "title", "organization", "stakeholder_group", "country",
                 "region", "status")
FOCAL_FIELDS = MEMBER_FIELDS + ("email", "gender", "joined_on", "lapsed_on", "left_on",
                                "applied_on", "listed_publicly", "notes")
# Each public field and the consent flag that allows it.
PUBLIC_CONSENT = {"name": "show_name", "organization": "show_organization",
                  "stakeholder_group": "show_stakeholder_group", "country": "show_country",
                  "region": "show_country"}


def audience(user) -> str:
    if user is None or not getattr(user, "is_authenticated", False):
        return PUBLIC
    return FOCAL if user.is_focal_contact else MEMBERS


def _value(member: Member, field: str) -> Any:
    if field == "organization":
        if member.organization is not None:
            return {"id": member.organization_id, "name": member.organization.display_name}
        return {"id": None, "name": member.organization_name} if member.organization_name \
            else None
    if field == "stakeholder_group":
        return {"code": member.stakeholder_group, "label": member.stakeholder_group_label}
    if field == "region":
        return {"code": member.region, "label": member.region_label}
    if field == "country":
        return {"code": member.country, "name": countries.name_of(member.country)} \
            if member.country else None
    value = getattr(member, field)
    return value.isoformat() if hasattr(value, "isoformat") else value


def visible_fields(member: Member, who: str) -> dict[str, Any]:
    """The fields `who` may see, as plain values (dicts for coded fields). For the public,
    only the fields this member consented to show; nothing at all if not listed."""
    if who == PUBLIC:
        if not member.listed_publicly:
            return {}
        return {field: _value(member, field) for field, flag in PUBLIC_CONSENT.items()
                if getattr(member, flag)}
    fields = FOCAL_FIELDS if who == FOCAL else MEMBER_FIELDS
    return {field: _value(member, field) for field in fields}
