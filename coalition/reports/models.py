"""Reports, the files (and earlier versions of files) they offer, and their tags."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coalition.db import UTCDateTime, one_of, utcnow
from coalition.extensions import db


class ReportType(enum.StrEnum):
    ANNUAL_REPORT = "annual_report"
    SESSION_REPORT = "session_report"
    POLICY_PAPER = "policy_paper"
    POSITION_PAPER = "position_paper"
    GUIDELINES = "guidelines"
    SUBMISSION = "submission"
    OTHER = "other"

    @property
    def label(self) -> str:
        return _TYPE_LABELS[self.value]


_TYPE_LABELS = {
    "annual_report": "Annual report",
    "session_report": "Session report",
    "policy_paper": "Policy paper",
    "position_paper": "Position paper",
    "guidelines": "Guidelines",
    "submission": "Submission",
    "other": "Other",
}


class Visibility(enum.StrEnum):
    DRAFT = "draft"
    MEMBERS = "members"
    PUBLIC = "public"

    @property
    def label(self) -> str:
        return {"draft": "Draft (focal contacts only)", "members": "Members only",
                "public": "Public"}[self.value]


class Report(db.Model):
    """One entry of the archive. `search_text` is what the full-text index reads: the
    metadata and the text of the current files (see search.py)."""

    __tablename__ = "reports"
    __table_args__ = (
        one_of("type", ReportType),
        one_of("visibility", Visibility),
        # The public page's question: visible, not archived, newest first.
        Index("ix_reports_listing", "is_archived", "visibility", "published_on", "id"),
        # The facets' counts: read from this index alone, never from the (wide) rows.
        Index("ix_reports_facets", "is_archived", "visibility", "type", "language",
              "published_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    type: Mapped[str] = mapped_column(String(32))
    published_on: Mapped[date] = mapped_column(Date)
    fiscal_year: Mapped[str | None] = mapped_column(String(8))
    # One author per line (people or organizations), in citation order.
    authors: Mapped[str | None] = mapped_column(Text)
    summary: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(8), default="en")
    external_url: Mapped[str | None] = mapped_column(String(1000))
    visibility: Mapped[str] = mapped_column(String(16), default=Visibility.DRAFT.value)
    # First time the report left draft; its slug is frozen from then on (it may be cited).
    first_published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    download_count: Mapped[int] = mapped_column(Integer, default=0)
    is_archived: Mapped[bool] = mapped_column(Boolean, default=False)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    search_text: Mapped[str] = mapped_column(Text, default="", deferred=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    files: Mapped[list[ReportFile]] = relationship(
        back_populates="report", order_by="ReportFile.id")
    tag_rows: Mapped[list[ReportTag]] = relationship(
        back_populates="report", cascade="all, delete-orphan", order_by="ReportTag.tag")

    def __repr__(self) -> str:
        return f"<Report {self.id} {self.slug}>"

    @property
    def type_label(self) -> str:
        return ReportType(self.type).label

    @property
    def tags(self) -> list[str]:
        return [row.tag for row in self.tag_rows]

    @property
    def author_list(self) -> list[str]:
        return [line.strip() for line in (self.authors or "").splitlines() if line.strip()]

    @property
    def current_files(self) -> list[ReportFile]:
        return [f for f in self.files if f.replaced_at is None]

    def earlier_versions(self, current: ReportFile) -> list[ReportFile]:
        """The versions `current` replaced, newest first."""
        replaced = {row.replaced_by_id: row for row in self.files if row.replaced_by_id}
        earlier: list[ReportFile] = []
        older = replaced.get(current.id)
        while older is not None and older not in earlier:
            earlier.append(older)
            older = replaced.get(older.id)
        return earlier

    @property
    def is_draft(self) -> bool:
        return self.visibility == Visibility.DRAFT

    @property
    def is_listed_publicly(self) -> bool:
        return self.visibility == Visibility.PUBLIC and not self.is_archived


class ReportFile(db.Model):
    """A file of a report. Replacing a file adds a row and marks the old one replaced: the
    old version stays downloadable, labelled as earlier."""

    __tablename__ = "report_files"
    __table_args__ = (
        Index("ix_report_files_report", "report_id", "replaced_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id"))
    # What the file is, for the report page ("Full report", "Executive summary (French)").
    label: Mapped[str | None] = mapped_column(String(200))
    # The name it is downloaded under, cleaned (never used as a path).
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(120))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    page_count: Mapped[int | None] = mapped_column(Integer)
    # Text extracted on upload (PDF only), for search; None if it could not be read.
    text: Mapped[str | None] = mapped_column(Text, deferred=True)
    download_count: Mapped[int] = mapped_column(Integer, default=0)
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    uploaded_by: Mapped[str] = mapped_column(String(200))
    replaced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The file that replaced this one (the next version).
    replaced_by_id: Mapped[int | None] = mapped_column(ForeignKey("report_files.id"))

    report: Mapped[Report] = relationship(back_populates="files")

    def __repr__(self) -> str:
        return f"<ReportFile {self.id} {self.filename}>"

    @property
    def is_current(self) -> bool:
        return self.replaced_at is None

    @property
    def display_label(self) -> str:
        return self.label or self.filename

    @property
    def kind_label(self) -> str:
        from coalition.reports.files import KINDS

        return next((kind.label for kind in KINDS.values()
                     if kind.content_type == self.content_type), self.content_type)


class ReportTag(db.Model):
    __tablename__ = "report_tags"
    __table_args__ = (
        Index("ix_report_tags_tag", "tag", "report_id"),
    )

    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id"), primary_key=True)
    tag: Mapped[str] = mapped_column(String(60), primary_key=True)

    report: Mapped[Report] = relationship(back_populates="tag_rows")


class AllowedFileType(db.Model):
    """A kind of file other than PDF that the focal contact lets reports carry (PDF is
    always allowed; nothing else is until a row says so)."""

    __tablename__ = "report_allowed_file_types"

    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    allowed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    allowed_by: Mapped[str] = mapped_column(String(200))
