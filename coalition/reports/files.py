"""What an uploaded file is (by its content, never its name), its text, and where its
bytes live: instance/reports/<aa>/<bb>/<sha256>, written once, never overwritten."""

from __future__ import annotations

import hashlib
import io
import logging
import os
import re
import tempfile
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path

from coalition.errors import ValidationError

log = logging.getLogger(__name__)

SHA256 = re.compile(r"[0-9a-f]{64}")
MAX_TEXT = 300_000  # characters of a file's text kept for search (PostgreSQL caps a tsvector)


@dataclass(frozen=True)
class FileKind:
    code: str
    label: str
    content_type: str
    extensions: tuple[str, ...]  # the first is the one a downloaded file gets


PDF = FileKind("pdf", "PDF", "application/pdf", (".pdf",))
# The kinds the focal contact may allow besides PDF, each recognised by its content.
OPTIONAL_KINDS = (
    FileKind("word", "Word document (.docx)",
             "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
             (".docx",)),
    FileKind("spreadsheet", "Excel workbook (.xlsx)",
             "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (".xlsx",)),
    FileKind("presentation", "PowerPoint presentation (.pptx)",
             "application/vnd.openxmlformats-officedocument.presentationml.presentation",
             (".pptx",)),
    FileKind("odt", "OpenDocument text (.odt)", "application/vnd.oasis.opendocument.text",
             (".odt",)),
    FileKind("ods", "OpenDocument spreadsheet (.ods)",
             "application/vnd.oasis.opendocument.spreadsheet", (".ods",)),
    FileKind("odp", "OpenDocument presentation (.odp)",
             "application/vnd.oasis.opendocument.presentation", (".odp",)),
    FileKind("epub", "EPUB e-book", "application/epub+zip", (".epub",)),
    FileKind("png", "PNG image", "image/png", (".png",)),
    FileKind("jpeg", "JPEG image", "image/jpeg", (".jpg", ".jpeg")),
    FileKind("csv", "CSV table", "text/csv", (".csv",)),
    FileKind("text", "Plain text", "text/plain", (".txt",)),
)
KINDS = {kind.code: kind for kind in (PDF, *OPTIONAL_KINDS)}
_BY_EXTENSION = {ext: kind for kind in KINDS.values() for ext in kind.extensions}
_OOXML = {"word/": "word", "xl/": "spreadsheet", "ppt/": "presentation"}
_OPENDOCUMENT = {"application/vnd.oasis.opendocument.text": "odt",
                 "application/vnd.oasis.opendocument.spreadsheet": "ods",
                 "application/vnd.oasis.opendocument.presentation": "odp",
                 "application/epub+zip": "epub"}


@dataclass
class Upload:
    """A checked file, ready to store."""

    data: bytes
    kind: FileKind
    filename: str
    sha256: str
    text: str | None = None
    page_count: int | None = None


# --- what a file is -------------------------------------------------------------------

def detect(data: bytes) -> str | None:
    """The kind code the content shows, or None if it is none of the kinds we know."""
    if b"%PDF-" in data[:1024]:
        return PDF.code
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(b"PK\x03\x04"):
        return _zip_kind(data)
    return _text_kind(data)


def _zip_kind(data: bytes) -> str | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
            if "mimetype" in names:
                return _OPENDOCUMENT.get(archive.read("mimetype").decode("ascii", "replace")
                                         .strip())
            if "[Content_Types].xml" in names:
                for prefix, code in _OOXML.items():
                    if any(name.startswith(prefix) for name in names):
                        return code
    except (zipfile.BadZipFile, OSError, KeyError, RuntimeError):
        return None
    return None


def _text_kind(data: bytes) -> str | None:
    try:
        text = data[:65536].decode("utf-8")
    except UnicodeDecodeError as error:
        if error.start < 65536 - 4:  # not just a character cut in two at the sample's end
            return None
        text = data[:error.start].decode("utf-8")
    if any(unicodedata.category(c) == "Cc" and c not in "\t\r\n\f" for c in text):
        return None
    return "text"


_PHRASES = {"pdf": "a PDF", "text": "plain text", "csv": "CSV text", "epub": "an EPUB e-book",
            "png": "a PNG image", "jpeg": "a JPEG image"}


def describe(code: str | None) -> str:
    """What a file is, as a phrase for a message ("plain text", "a Word document (.docx)")."""
    if code is None:
        return "of a kind this archive does not know"
    if code in _PHRASES:
        return _PHRASES[code]
    label = KINDS[code].label
    return ("an " if label[0] in "AEIOU" else "a ") + label


def clean_filename(name: str, kind: FileKind, fallback: str) -> str:
    """A download name from what the browser sent: no directories, no control or path
    characters, at most 120 characters, and the extension of what the file really is."""
    name = unicodedata.normalize("NFC", name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] not in "CZ" or c == " ")
    name = re.sub(r'[<>:"|?*;]+', "", name).strip(" .")
    stem, dot, extension = name.rpartition(".")
    if not dot:
        stem, extension = name, ""
    if f".{extension.lower()}" in kind.extensions:
        extension = extension.lower()
    else:
        stem = name  # no extension, or one that is not this kind's: keep it in the stem
        extension = kind.extensions[0][1:]
    stem = " ".join(stem.split())[:120 - len(extension) - 1].strip(" .") or fallback
    return f"{stem}.{extension}"


def check_upload(data: bytes, filename: str, allowed: set[str], field: str = "file",
                 fallback: str = "report") -> Upload:
    """Refuse what is empty, what is not what its name says, and what is not allowed;
    read a PDF's text. Raises ValidationError(field, ...) with the reason."""
    shown = (filename or "the file").rsplit("/", 1)[-1].rsplit("\\", 1)[-1][:100]
    if not data:
        raise ValidationError(field, f"“{shown}” is empty.")
    code = detect(data)
    claimed = _BY_EXTENSION.get(Path(shown).suffix.lower())
    if claimed is not None and claimed.code == "csv" and code == "text":
        code = "csv"  # CSV is text: the name tells which kind of text
    if claimed is not None and code != claimed.code:
        raise ValidationError(field, f"“{shown}” is not {describe(claimed.code)}: its "
                                     f"content is {describe(code)}. Nothing was saved.")
    if code is None:
        raise ValidationError(field, f"“{shown}” is not a PDF or another kind of file this "
                                     "archive accepts. Nothing was saved.")
    if code != PDF.code and code not in allowed:
        raise ValidationError(field, f"“{shown}” is {describe(code)}; this archive "
                                     "accepts PDF files only, unless a focal contact allows "
                                     "that kind of file. Nothing was saved.")
    kind = KINDS[code]
    upload = Upload(data=data, kind=kind, filename=clean_filename(filename, kind, fallback),
                    sha256=hashlib.sha256(data).hexdigest())
    if kind is PDF:
        upload.text, upload.page_count = read_pdf(data, shown, field)
    elif code in {"text", "csv"}:
        upload.text = data.decode("utf-8", "replace")[:MAX_TEXT]
    return upload


def read_pdf(data: bytes, shown: str = "the file", field: str = "file"
             ) -> tuple[str | None, int]:
    """The text of a PDF (None if it has none we can read) and its page count; a file that
    only starts like a PDF but cannot be opened is refused."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # damaged-but-readable files warn
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            return None, len(reader.pages)
        pages = len(reader.pages)
    except (PdfReadError, ValueError, KeyError, TypeError, OSError, IndexError,
            AttributeError, RecursionError) as error:
        raise ValidationError(field, f"“{shown}” starts like a PDF but cannot be opened "
                                     f"(it may be damaged: {error}). Nothing was saved."
                              ) from error
    parts: list[str] = []
    length = 0
    for page in reader.pages:
        try:
            text = page.extract_text() or ""
        except Exception as error:  # one unreadable page must not lose the rest
            log.warning("could not read the text of a page of %s: %s", shown, error)
            continue
        parts.append(text)
        length += len(text)
        if length >= MAX_TEXT:
            break
    text = " ".join("\n".join(parts).split())[:MAX_TEXT]
    return text or None, pages


# --- where the bytes live -------------------------------------------------------------

class Storage:
    """Content-addressed files under one folder. Only a SHA-256 from our own database ever
    becomes a path."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def path(self, sha256: str) -> Path:
        if not SHA256.fullmatch(sha256):
            raise ValueError("not a SHA-256 digest")
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def exists(self, sha256: str) -> bool:
        return self.path(sha256).is_file()

    def put(self, data: bytes) -> str:
        """Store the bytes (once: the same content is the same file) and return the digest.
        Written to a temporary file, synced, then renamed, so a reader never sees half."""
        digest = hashlib.sha256(data).hexdigest()
        target = self.path(digest)
        if target.is_file():
            return digest
        target.parent.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
        try:
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(temporary, 0o640)
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return digest

    def read(self, sha256: str) -> bytes:
        return self.path(sha256).read_bytes()

    def count(self) -> int:
        """Stored files (the tests use it to prove a refused upload stored nothing)."""
        if not self.root.is_dir():
            return 0
        return sum(1 for path in self.root.rglob("*") if path.is_file() and
                   SHA256.fullmatch(path.name))


def storage() -> Storage:
    from flask import current_app

    return Storage(Path(current_app.config["REPORTS_DIR"]))
