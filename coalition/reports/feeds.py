"""Machine-readable doors into the archive: the Atom feed of public reports, the sitemap
of the public pages, and robots.txt pointing at it.

All three are for the public whoever asks: a signed-in focal contact's feed reader gets the
same public-only feed as anyone (it may be shared, cached, or republished)."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from urllib.parse import urlsplit
from xml.etree import ElementTree as ET

from flask import Blueprint, Response, current_app, request

from coalition.reports import queries
from coalition.reports.models import Report
from coalition.urls import external_url

bp = Blueprint("report_feeds", __name__)

ATOM = "http://www.w3.org/2005/Atom"
SITEMAP = "http://www.sitemaps.org/schemas/sitemap/0.9"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
FEED_SIZE = 50
FEED_MAX_AGE = 900  # seconds a cache may keep the feed
SITEMAP_MAX_AGE = 3600
SITEMAP_MAX_URLS = 50_000  # the sitemaps.org limit for one file
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)  # the feed's `updated` when it has no entries
# Characters XML 1.0 cannot carry at all (ElementTree would write them and break the feed).
NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# The public pages besides the reports, by endpoint (the sitemap lists them first).
PUBLIC_PAGES = ("main.home", "reports.index", "members.directory", "members.organizations",
                "balance.public")
# Paths crawlers have no business in: the API, signing in, and the account pages.
PRIVATE_PATHS = ("/api/", "/login", "/logout", "/password/", "/invitations/", "/account/",
                 "/join/confirm/")


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _root(tag: str, namespace: str) -> ET.Element:
    # Children are written unqualified under the root's default namespace (ElementTree's
    # own default_namespace option refuses unqualified attributes such as rel or href).
    return ET.Element(tag, xmlns=namespace)


def _add(parent: ET.Element, tag: str, text: str | None = None, **attributes: str
         ) -> ET.Element:
    element = ET.SubElement(parent, tag, {name: NOT_XML.sub("", value)
                                          for name, value in attributes.items()
                                          if value is not None})
    if text is not None:
        element.text = NOT_XML.sub("", text)
    return element


def _serialize(root: ET.Element) -> bytes:
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def _answer(body: bytes, content_type: str, max_age: int,
            last_modified: datetime | None = None) -> Response:
    """Public and cacheable, with an ETag (and Last-Modified) so a feed reader's repeated
    poll gets an empty 304 when nothing changed."""
    response = Response(body, content_type=content_type)
    response.headers["Cache-Control"] = f"public, max-age={max_age}"
    response.set_etag(hashlib.sha256(body).hexdigest())
    if last_modified is not None:
        response.last_modified = last_modified
    return response.make_conditional(request)


# --- the Atom feed (RFC 4287) ---------------------------------------------------------

def _entry(feed: ET.Element, report: Report, coalition: str) -> None:
    def add(tag: str, text: str | None = None, **attributes: str) -> ET.Element:
        return _add(entry, tag, text, **attributes)

    page = external_url("reports.detail", slug=report.slug)
    entry = _add(feed, "entry")
    entry.set(XML_LANG, report.language)
    add("id", page)  # the report's address never changes once published
    add("title", report.title, type="text")
    add("updated", rfc3339(report.updated_at))
    if report.first_published_at is not None:
        add("published", rfc3339(report.first_published_at))
    add("link", rel="alternate", type="text/html", href=page, title=report.title)
    for row in report.current_files:
        add("link", rel="enclosure", type=row.content_type, length=str(row.size),
            title=row.display_label,
            href=external_url("reports.download", slug=report.slug, file_id=row.id,
                              filename=row.filename))
    if report.external_url:
        add("link", rel="related", href=report.external_url)
    for name in report.author_list or [coalition]:
        author = add("author")
        _add(author, "name", name)
    index = external_url("reports.index")
    add("category", term=report.type, label=report.type_label, scheme=f"{index}?type=")
    for tag in report.tags:
        add("category", term=tag, label=tag, scheme=f"{index}?tag=")
    if report.summary:
        add("summary", report.summary, type="text")


def build_feed(reports: list[Report]) -> tuple[bytes, datetime]:
    """The feed document, and when it last changed."""
    coalition = current_app.config["NAME"]
    updated = max((report.updated_at for report in reports), default=EPOCH)
    self_url = external_url("report_feeds.feed")
    feed = _root("feed", ATOM)

    def add(tag: str, text: str | None = None, **attributes: str) -> ET.Element:
        return _add(feed, tag, text, **attributes)

    add("id", self_url)
    add("title", f"{coalition} reports", type="text")
    add("subtitle", f"The newest public reports of {coalition}.", type="text")
    add("updated", rfc3339(updated))
    author = add("author")
    _add(author, "name", coalition)
    _add(author, "uri", external_url("main.home"))
    add("link", rel="self", type="application/atom+xml", href=self_url)
    add("link", rel="alternate", type="text/html", href=external_url("reports.index"))
    add("generator", "Coalition")
    for report in reports:
        _entry(feed, report, coalition)
    return _serialize(feed), updated


@bp.get("/reports/feed.atom")
def feed():
    body, updated = build_feed(queries.public_reports(limit=FEED_SIZE))
    return _answer(body, "application/atom+xml; charset=utf-8", FEED_MAX_AGE, updated)


# --- the sitemap (sitemaps.org) and robots.txt -----------------------------------------

def build_sitemap(reports: list[Report]) -> bytes:
    urlset = _root("urlset", SITEMAP)

    def add_url(location: str, modified: datetime | None = None) -> None:
        url = _add(urlset, "url")
        _add(url, "loc", location)
        if modified is not None:
            _add(url, "lastmod", rfc3339(modified))

    newest = max((report.updated_at for report in reports), default=None)
    for endpoint in PUBLIC_PAGES:
        add_url(external_url(endpoint), newest if endpoint == "reports.index" else None)
    for report in reports[:SITEMAP_MAX_URLS - len(PUBLIC_PAGES)]:
        add_url(external_url("reports.detail", slug=report.slug), report.updated_at)
    return _serialize(urlset)


@bp.get("/sitemap.xml")
def sitemap():
    reports = queries.public_reports()
    return _answer(build_sitemap(reports), "application/xml; charset=utf-8", SITEMAP_MAX_AGE)


def build_robots() -> str:
    # Paths carry the prefix the app is served under, if BASE_URL has one.
    prefix = urlsplit(current_app.config["BASE_URL"]).path.rstrip("/")
    # Everything else is allowed (no "Allow: /" line: parsers that take the first matching
    # rule, such as Python's robotparser, would let it override the lines below it).
    lines = ["User-agent: *"]
    lines += [f"Disallow: {prefix}{path}" for path in PRIVATE_PATHS]
    lines += ["", f"Sitemap: {external_url('report_feeds.sitemap')}"]
    return "\n".join(lines) + "\n"


@bp.get("/robots.txt")
def robots():
    return _answer(build_robots().encode(), "text/plain; charset=utf-8", SITEMAP_MAX_AGE)
