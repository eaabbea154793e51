"""What an upload is (by content, not name), its download name, its text, and where its
bytes are kept."""

from __future__ import annotations

import hashlib
import io
import zipfile

import pytest

from coalition.errors import ValidationError
from coalition.reports import files
from coalition.reports.pdf import make_pdf


def _zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return buffer.getvalue()


DOCX = _zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"})
ODT = _zip({"mimetype": b"application/vnd.oasis.opendocument.text", "content.xml": b"<x/>"})


@pytest.mark.parametrize(("data", "kind"), [
    (make_pdf("T", ["text"]), "pdf"),
    (b"\x89PNG\r\n\x1a\n" + b"\0" * 20, "png"),
    (b"\xff\xd8\xff\xe0" + b"\0" * 20, "jpeg"),
    (DOCX, "word"),
    (ODT, "odt"),
    (b"Name,Country\nAda,KE\n", "text"),
    ("Résumé des travaux\n".encode(), "text"),
    (b"MZ\x90\x00\x03\x00\x00\x00 an executable", None),
    (b"PK\x03\x04 not really a zip", None),
])
def test_files_are_recognised_by_their_content(data, kind):
    assert files.detect(data) == kind


def test_a_text_file_is_not_refused_because_the_sample_cut_a_character_in_two():
    data = ("é" * 40000).encode()  # 80,000 bytes; the 64 KiB sample ends mid-character
    assert files.detect(data) == "text"


def test_a_file_named_pdf_that_is_not_a_pdf_is_refused_with_the_reason():
    with pytest.raises(ValidationError) as refused:
        files.check_upload(b"<html>hello</html>", "report.pdf", allowed={"text"})
    assert refused.value.field == "file"
    assert refused.value.message == ("“report.pdf” is not a PDF: its content is plain text. "
                                     "Nothing was saved.")


def test_a_file_that_starts_like_a_pdf_but_cannot_be_opened_is_refused():
    with pytest.raises(ValidationError) as refused:
        files.check_upload(b"%PDF-1.7\n garbage, no objects, no trailer", "r.pdf", set())
    assert "starts like a PDF but cannot be opened" in refused.value.message


def test_other_kinds_are_refused_until_allowed():
    with pytest.raises(ValidationError) as refused:
        files.check_upload(DOCX, "minutes.docx", allowed=set())
    assert "accepts PDF files only, unless a focal contact allows" in refused.value.message
    upload = files.check_upload(DOCX, "minutes.docx", allowed={"word"})
    assert upload.kind.code == "word"
    assert upload.kind.content_type.endswith("wordprocessingml.document")


def test_a_name_that_claims_another_kind_is_refused_even_if_both_are_allowed():
    with pytest.raises(ValidationError) as refused:
        files.check_upload(DOCX, "minutes.odt", allowed={"word", "odt"})
    assert "is not an OpenDocument text (.odt): its content is a Word document" in \
        refused.value.message


def test_an_empty_file_is_refused():
    with pytest.raises(ValidationError, match="is empty"):
        files.check_upload(b"", "report.pdf", set())


def test_a_pdf_upload_carries_its_text_pages_and_digest():
    data = make_pdf("Annual report", ["Grooming and sextortion were discussed."] * 60)
    upload = files.check_upload(data, "Annual report.pdf", set())
    assert upload.kind is files.PDF
    assert upload.sha256 == hashlib.sha256(data).hexdigest()
    assert upload.page_count == 3
    assert "sextortion" in upload.text
    assert upload.filename == "Annual report.pdf"


@pytest.mark.parametrize(("sent", "kept"), [
    ("../../etc/passwd.pdf", "passwd.pdf"),
    ("C:\\Users\\ana\\Report 2016.PDF", "Report 2016.pdf"),
    ("evil\x00name\r\n.pdf", "evilname.pdf"),
    ('a"b;c<d>.pdf', "abcd.pdf"),
    ("", "fallback.pdf"),
    ("...", "fallback.pdf"),
    ("notes", "notes.pdf"),
    ("report.docx", "report.docx.pdf"),
    ("Rapport annuel – Côte d’Ivoire.pdf", "Rapport annuel – Côte d’Ivoire.pdf"),
    ("x" * 300 + ".pdf", "x" * 116 + ".pdf"),
])
def test_download_names_are_cleaned_and_end_in_the_real_kind(sent, kept):
    assert files.clean_filename(sent, files.PDF, "fallback") == kept


def test_storage_keeps_bytes_under_their_digest_once(tmp_path):
    storage = files.Storage(tmp_path / "reports")
    digest = storage.put(b"same bytes")
    assert digest == hashlib.sha256(b"same bytes").hexdigest()
    assert storage.path(digest) == tmp_path / "reports" / digest[:2] / digest[2:4] / digest
    assert storage.put(b"same bytes") == digest
    assert storage.count() == 1
    assert storage.read(digest) == b"same bytes"
    assert not list((tmp_path / "reports").rglob(".upload-*"))  # no temporary left behind


@pytest.mark.parametrize("name", ["../../etc/passwd", "0" * 63, "g" * 64, "A" * 64])
def test_storage_refuses_anything_but_a_digest_as_a_path(tmp_path, name):
    with pytest.raises(ValueError):
        files.Storage(tmp_path).path(name)


def test_a_csv_file_is_accepted_as_csv_when_allowed():
    upload = files.check_upload(b"Country,Members\nKE,12\n", "members.csv", allowed={"csv"})
    assert (upload.kind.code, upload.kind.content_type) == ("csv", "text/csv")
    with pytest.raises(ValidationError, match="is CSV text; this archive accepts PDF"):
        files.check_upload(b"Country,Members\nKE,12\n", "members.csv", allowed={"text"})
