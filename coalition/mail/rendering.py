"""A post's body as the reader sees it: plain text, or Markdown turned into safe HTML.

markdown-it-py with raw HTML turned off escapes every tag the writer types, and its link
check refuses javascript:, vbscript:, file: and data: links, so the HTML needs no sanitiser.
"""

from __future__ import annotations

from functools import lru_cache

from markdown_it import MarkdownIt

from coalition.mail.models import PostFormat


@lru_cache(maxsize=1)
def _markdown() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}) \
        .enable("table").enable("strikethrough")


def html_body(body: str, body_format: str) -> str | None:
    """The HTML alternative of a Markdown post; None for plain text."""
    if body_format != PostFormat.MARKDOWN:
        return None
    return _markdown().render(body)
