"""A small PDF writer for the demo reports, the tests and the benchmark: real pages with
real (extractable) text in Helvetica, no dependency. Not for users' documents."""

from __future__ import annotations

import textwrap

LINES_PER_PAGE = 48
WIDTH = 90  # characters per line at 10 pt


def _escape(line: str) -> bytes:
    data = line.encode("cp1252", "replace")
    return data.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def make_pdf(title: str, paragraphs: list[str]) -> bytes:
    """A PDF of the title (larger) and the paragraphs, wrapped and paginated."""
    lines: list[tuple[int, str]] = [(16, title), (10, "")]
    for paragraph in paragraphs:
        lines.extend((10, line) for line in textwrap.wrap(paragraph, WIDTH) or [""])
        lines.append((10, ""))
    pages = [lines[i:i + LINES_PER_PAGE] for i in range(0, len(lines), LINES_PER_PAGE)]

    objects: list[bytes] = []  # object n is objects[n - 1]
    font = 3
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objects.append(b"")  # the page tree, written once the pages are known
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica "
                   b"/Encoding /WinAnsiEncoding >>")
    page_ids = []
    for page in pages:
        stream = [b"BT", b"72 770 Td", b"14 TL"]
        for size, line in page:
            stream.append(b"/F1 %d Tf (%s) Tj T*" % (size, _escape(line)))
        stream.append(b"ET")
        content = b"\n".join(stream)
        objects.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content))
        content_id = len(objects)
        objects.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
                       b"/Resources << /Font << /F1 %d 0 R >> >> /Contents %d 0 R >>"
                       % (font, content_id))
        page_ids.append(len(objects))
    kids = b" ".join(b"%d 0 R" % number for number in page_ids)
    objects[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, len(page_ids))

    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, xref)
    return bytes(out)
