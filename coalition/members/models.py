"""Members (people), organizations, and the fixed vocabularies they are counted by."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Index,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coalition.db import UTCDateTime, one_of, utcnow
from coalition.extensions import db


class StakeholderGroup(enum.StrEnum):
    GOVERNMENT = "government"
    CIVIL_SOCIETY = "civil_society"
    PRIVATE_SECTOR = "private_sector"
    TECHNICAL_COMMUNITY = "technical_community"
    ACADEMIA = "academia"
    INTERGOVERNMENTAL = "intergovernmental"

    @property
    def label(self) -> str:
        return _LABELS[self.value]


class Region(enum.StrEnum):
    """The five UN regional groups, plus `unassigned`."""

    AFRICAN = "african"
    ASIA_PACIFIC = "asia_pacific"
    EASTERN_EUROPEAN = "eastern_european"
    LATIN_AMERICAN_CARIBBEAN = "latin_american_caribbean"
    WESTERN_EUROPEAN_OTHERS = "western_european_others"
    UNASSIGNED = "unassigned"

    @property
    def label(self) -> str:
        return _LABELS[self.value]


class MemberStatus(enum.StrEnum):
    APPLICANT = "applicant"
    ACTIVE = "active"
    LAPSED = "lapsed"
    LEFT = "left"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class Gender(enum.StrEnum):
    WOMAN = "woman"
    MAN = "man"
    NON_BINARY = "non_binary"
    SELF_DESCRIBED = "self_described"
    UNDISCLOSED = "undisclosed"

    @property
    def label(self) -> str:
        return _LABELS[self.value]


_LABELS = {
    "government": "Government",
    "civil_society": "Civil society",
    "private_sector": "Private sector",
    "technical_community": "Technical community",
    "academia": "Academia",
    "intergovernmental": "Intergovernmental",
    "african": "African",
    "asia_pacific": "Asia-Pacific",
    "eastern_european": "Eastern European",
    "latin_american_caribbean": "Latin American and Caribbean",
    "western_european_others": "Western European and Others",
    "unassigned": "Unassigned",
    "woman": "Woman",
    "man": "Man",
    "non_binary": "Non-binary",
    "self_described": "Self-described",
    "undisclosed": "Prefer not to say",
}

# Which fields a member may show to the public, each by its own consent flag.
PUBLIC_FIELDS = ("name", "organization", "stakeholder_group", "country")


class Organization(db.Model):
    __tablename__ = "organizations"
    __table_args__ = (
        one_of("stakeholder_group", StakeholderGroup, nullable=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    acronym: Mapped[str | None] = mapped_column(String(50))
    stakeholder_group: Mapped[str | None] = mapped_column(String(32))
    country: Mapped[str | None] = mapped_column(String(2))
    website: Mapped[str | None] = mapped_column(String(500))
    is_archived: Mapped[bool] = mapped_column(Boolean, default=False)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    members: Mapped[list[Member]] = relationship(back_populates="organization")

    def __repr__(self) -> str:
        return f"<Organization {self.id} {self.name}>"

    @property
    def display_name(self) -> str:
        return f"{self.name} ({self.acronym})" if self.acronym else self.name


class Member(db.Model):
    """A person in the coalition. Archived (status `left`), never deleted; erasure blanks
    the personal fields and keeps what the counts need (group, region, status, dates)."""

    __tablename__ = "members"
    __table_args__ = (
        one_of("stakeholder_group", StakeholderGroup),
        one_of("region", Region),
        one_of("status", MemberStatus),
        one_of("gender", Gender, nullable=True),
        # Covers the balance's one GROUP BY (and the directory's group/region filters).
        Index("ix_members_status_group_region", "status", "stakeholder_group", "region",
              "country", "gender"),
        Index("ix_members_sort_name", "sort_name", "id"),
        # The directory's usual question: members of one status, in name order, a page at
        # a time; this index answers it without sorting, however many members there are.
        Index("ix_members_status_sort_name", "status", "sort_name", "id"),
        Index("ix_members_public_sort_name", "listed_publicly", "status", "sort_name", "id"),
        Index("ix_members_organization_status", "organization_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    # Lower-cased name for sorting and prefix search (an index serves both).
    sort_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    title: Mapped[str | None] = mapped_column(String(200))
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"))
    # The organization as the person wrote it, until it is linked to an Organization.
    organization_name: Mapped[str | None] = mapped_column(String(300))
    stakeholder_group: Mapped[str] = mapped_column(String(32))
    country: Mapped[str | None] = mapped_column(String(2), index=True)
    region: Mapped[str] = mapped_column(String(32), default=Region.UNASSIGNED.value)
    region_overridden: Mapped[bool] = mapped_column(Boolean, default=False)
    gender: Mapped[str | None] = mapped_column(String(32))
    gender_description: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(16), default=MemberStatus.APPLICANT.value)
    applied_on: Mapped[date | None] = mapped_column(Date)
    joined_on: Mapped[date | None] = mapped_column(Date)
    lapsed_on: Mapped[date | None] = mapped_column(Date)
    left_on: Mapped[date | None] = mapped_column(Date)
    # Public directory: listed at all, and which fields (each needs its own consent).
    listed_publicly: Mapped[bool] = mapped_column(Boolean, default=False)
    show_name: Mapped[bool] = mapped_column(Boolean, default=False)
    show_organization: Mapped[bool] = mapped_column(Boolean, default=False)
    show_stakeholder_group: Mapped[bool] = mapped_column(Boolean, default=False)
    show_country: Mapped[bool] = mapped_column(Boolean, default=False)
    motivation: Mapped[str | None] = mapped_column(Text)
    notes: Mapped[str | None] = mapped_column(Text)
    # Joining: the applicant confirmed their address; the focal contact decided.
    email_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    confirmation_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    declined_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decline_message: Mapped[str | None] = mapped_column(Text)
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    organization: Mapped[Organization | None] = relationship(back_populates="members")

    def __repr__(self) -> str:
        return f"<Member {self.id} {self.status}>"

    @property
    def organization_label(self) -> str | None:
        if self.organization is not None:
            return self.organization.display_name
        return self.organization_name

    @property
    def stakeholder_group_label(self) -> str:
        return StakeholderGroup(self.stakeholder_group).label

    @property
    def region_label(self) -> str:
        return Region(self.region).label

    @property
    def status_label(self) -> str:
        return MemberStatus(self.status).label

    def shows(self, field: str) -> bool:
        """Whether the public may see `field` of this member."""
        return self.listed_publicly and bool(getattr(self, f"show_{field}"))
