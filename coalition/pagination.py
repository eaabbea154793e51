"""One page of a query's results, for every listing in the app."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select

from coalition.extensions import db


@dataclass
class Page:
    items: list[Any]
    page: int
    pages: int
    total: int
    total_capped: bool = False  # the total is a lower bound ("more than ...")

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def paginate(query: Select, page: int, per_page: int) -> Page:
    """Count, clamp `page` into range, and fetch that page of an already ordered query."""
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    pages = max(1, -(-(total or 0) // per_page))
    page = min(max(1, page), pages)
    items = db.session.scalars(query.limit(per_page).offset((page - 1) * per_page)).all()
    return Page(items=list(items), page=page, pages=pages, total=total or 0)
