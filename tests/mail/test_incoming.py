"""Reading received messages: whatever a sender's program (or a spammer's) produces gives
a result with the sender, the threading headers, the text and the files, never an error."""

from __future__ import annotations

import base64

from flask import Flask

from coalition.mail.incoming import html_to_text, parse, sanitise_filename
from coalition.mail.posting import MAX_BODY


def test_a_plain_message_gives_its_sender_subject_threading_and_text():
    raw = (b"From: =?utf-8?q?Zo=C3=AB_=C3=91and=C3=BA?= <Zoe@Example.NET>\r\n"
           b"To: discuss@lists.coalition.test\r\n"
           b"Subject: =?utf-8?b?UsOpdW5pb24=?= de mardi\r\n"
           b"Message-ID: <abc.1@mail.example.net>\r\n"
           b"In-Reply-To: <parent@example.org>\r\n"
           b"References: <root@example.org>\r\n <parent@example.org>\r\n"
           b"List-Id: Other <other.lists.example.org>\r\n"
           b"Auto-Submitted: No\r\nPrecedence: List\r\nX-Loop: Someone@Example.org\r\n"
           b"Content-Type: text/plain; charset=utf-8\r\n\r\nLine one\r\nLine two\r\n")
    message = parse(raw)
    assert (message.sender_name, message.sender_email) == ("Zoë Ñandú", "zoe@example.net")
    assert message.subject == "Réunion de mardi"
    assert message.message_id == "<abc.1@mail.example.net>" and not message.message_id_made
    assert message.in_reply_to == "<parent@example.org>"
    assert message.references == "<root@example.org> <parent@example.org>"
    assert message.list_id == "Other <other.lists.example.org>"
    assert (message.auto_submitted, message.precedence) == ("no", "list")
    assert message.x_loop == ["someone@example.org"]
    assert message.text == "Line one\nLine two\n"
    assert message.size == len(raw) and message.attachments == [] and message.defects == []


def test_the_sender_falls_back_to_sender_then_the_envelope():
    assert parse(b"Sender: Bot <bot@example.org>\r\n\r\nx").sender_email == "bot@example.org"
    assert parse(b"From: not an address\r\n\r\nx", envelope_sender="env@example.org"
                 ).sender_email == "env@example.org"
    assert parse(b"Subject: nobody\r\n\r\nx").sender_email == ""


def test_a_missing_or_invalid_message_id_is_replaced_by_one_of_ours():
    app = Flask(__name__)
    app.config["MAIL_DOMAIN"] = "lists.coalition.test"
    with app.app_context():
        check_made_message_ids()


def check_made_message_ids():
    for header in (b"", b"Message-ID: not-an-id\r\n", b"Message-ID: <" + b"x" * 300 + b"@a>\r\n"):
        message = parse(b"From: a@example.org\r\n" + header + b"\r\nHi")
        assert message.message_id_made
        assert message.message_id.endswith("@lists.coalition.test>")


def test_a_message_without_headers_is_still_read():
    message = parse(b"just some words\nwithout any header\n", envelope_sender="a@example.org")
    assert message.sender_email == "a@example.org"
    assert message.text == "just some words\nwithout any header\n"
    assert message.defects  # noted, not raised


def test_a_huge_header_line_is_cut_to_the_subject_length():
    # A megabyte of header: the modern parser's time would grow faster than the header.
    raw = b"From: a@example.org\r\nSubject: " + b"word " * 200_000 + b"\r\n\r\nThe text\r\n"
    message = parse(raw)
    assert 290 < len(message.subject) <= 300 and message.text == "The text\n"
    assert message.sender_email == "a@example.org"
    assert any("read leniently" in defect for defect in message.defects)


def test_non_utf8_charsets_are_decoded_and_unknown_ones_never_crash():
    latin = "From: a@example.org\r\nContent-Type: text/plain; charset=iso-8859-1\r\n" \
            "Content-Transfer-Encoding: 8bit\r\n\r\nGrüße aus Köln\r\n".encode("latin-1")
    assert parse(latin).text == "Grüße aus Köln\n"
    cp1252 = b"From: a@example.org\r\nContent-Type: text/plain; charset=windows-1252\r\n" \
             b"\r\n\x93quoted\x94 \x80 5\r\n"
    assert parse(cp1252).text == "\u201cquoted\u201d \u20ac 5\n"
    japanese = (b"From: a@example.org\r\nSubject: =?ISO-2022-JP?B?GyRCJDMkcyRLJEEkTxsoQg==?=\r\n"
                b"Content-Type: text/plain; charset=iso-2022-jp\r\n\r\n"
                + "こんにちは\r\n".encode("iso-2022-jp"))
    message = parse(japanese)
    assert message.subject == "こんにちは" and message.text == "こんにちは\n"
    for charset in (b"x-no-such-charset", b"rot13", b'"utf-8'):
        message = parse(b"From: a@example.org\r\nContent-Type: text/plain; charset=" + charset
                        + b"\r\n\r\nhello \xff\xfe world\r\n")
        assert message.text.startswith("hello ") and message.text.endswith(" world\n")
    wrong = parse(b"From: a@example.org\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
                  b"caf\xe9\r\n")
    assert wrong.text == "caf\ufffd\n" and any("charset" in d for d in wrong.defects)
    # Raw 8-bit bytes in headers (no RFC 2047): read as UTF-8, else as Windows-1252.
    raw = parse(b"From: J\xe9r\xf4me <jerome@example.net>\r\nSubject: caf\xc3\xa9\r\n\r\nx\r\n")
    assert (raw.sender_name, raw.subject) == ("J\u00e9r\u00f4me", "caf\u00e9")


def test_html_only_gives_its_text_without_scripts_styles_or_markup():
    raw = (b"From: a@example.org\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
           b"<html><head><title>T</title><style>p {color: red}</style>"
           b"<script>alert('head')</script></head><body><p>Hello &amp; <b>welcome</b></p>"
           b"<script>document.cookie</script><div>Second<br>line</div>"
           b"<img src=x onerror=alert(1)></body></html>")
    text = parse(raw).text
    assert text == "Hello & welcome\n\nSecond\nline"
    assert "alert" not in text and "<" not in text and "cookie" not in text
    assert html_to_text("<p>unclosed <script>never") == "unclosed"


def test_plain_text_is_preferred_to_html_in_an_alternative():
    raw = (b"From: a@example.org\r\nContent-Type: multipart/alternative; boundary=b\r\n\r\n"
           b"--b\r\nContent-Type: text/html\r\n\r\n<p>HTML version</p>\r\n"
           b"--b\r\nContent-Type: text/plain\r\n\r\nText version\r\n--b--\r\n")
    assert parse(raw).text == "Text version"


def test_attachments_keep_their_declared_type_and_a_safe_name():
    fake_pdf = b"<html><script>alert(1)</script></html>"
    raw = (b"From: a@example.org\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
           b"--b\r\nContent-Type: text/plain\r\n\r\nSee attached.\r\n"
           b"--b\r\nContent-Type: application/pdf; name=\"report.pdf\"\r\n"
           b"Content-Disposition: attachment; filename=\"../../etc/report.pdf\"\r\n"
           b"Content-Transfer-Encoding: base64\r\n\r\n"
           + base64.encodebytes(fake_pdf) +
           b"--b\r\nContent-Type: image/png\r\nContent-Disposition: attachment\r\n"
           b"Content-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo=\r\n"
           b"--b\r\nContent-Type: message/rfc822\r\nContent-Disposition: attachment\r\n\r\n"
           b"From: b@example.org\r\nSubject: forwarded\r\n\r\nInner text\r\n--b--\r\n")
    message = parse(raw)
    assert message.text == "See attached."
    files = [(a.filename, a.content_type, a.size) for a in message.attachments]
    assert files == [("report.pdf", "application/pdf", len(fake_pdf)),
                     ("attachment-2.png", "image/png", 8),
                     ("attachment-3.eml", "message/rfc822", message.attachments[2].size)]
    assert message.attachments[0].data == fake_pdf
    assert b"Inner text" in message.attachments[2].data


def test_filenames_lose_directories_control_characters_and_dots():
    assert sanitise_filename("C:\\Users\\x\\évaluation.docx", 1, "") == "évaluation.docx"
    assert sanitise_filename("..\x00.bashrc", 1, "text/plain") == "_.bashrc"
    assert sanitise_filename('a<b>:"c|?*.txt', 1, "") == "a_b___c___.txt"
    assert sanitise_filename("   ", 4, "application/pdf") == "attachment-4.pdf"
    long = sanitise_filename("x" * 400 + ".pdf", 1, "")
    assert len(long) == 255 and long.endswith(".pdf")


def test_malformed_mime_still_gives_a_result_with_defects():
    no_boundary = parse(b"From: a@example.org\r\nContent-Type: multipart/mixed\r\n\r\n"
                        b"--x\r\nContent-Type: text/plain\r\n\r\nthe words\r\n--x--\r\n")
    assert "the words" in no_boundary.text and no_boundary.defects
    unterminated = parse(b"From: a@example.org\r\nContent-Type: multipart/mixed; boundary=x"
                         b"\r\n\r\n--x\r\nContent-Type: text/plain\r\n\r\nstill here\r\n")
    assert unterminated.text.startswith("still here") and unterminated.defects
    broken_base64 = parse(b"From: a@example.org\r\nContent-Type: text/plain\r\n"
                          b"Content-Transfer-Encoding: base64\r\n\r\n!!not base64 at all@@\r\n")
    assert isinstance(broken_base64.text, str)
    garbage = parse(bytes(range(256)) * 10)
    assert isinstance(garbage.text, str)


def test_the_text_is_cut_at_the_post_limit():
    raw = b"From: a@example.org\r\n\r\n" + b"a" * (MAX_BODY + 10)
    message = parse(raw)
    assert len(message.text) == MAX_BODY and "text truncated" in message.defects


def test_ids_the_email_package_cannot_write_whole_count_as_none():
    app = Flask(__name__)
    app.config["MAIL_DOMAIN"] = "lists.coalition.test"
    with app.app_context():
        for unsafe in ("<été@example.net>", "<a,b@x.org>", '<a"b@x.org>', "<a(b)@x.org>",
                       "<a:b@x.org>", "<a\\b@x.org>", "<a@[10.0.0.1]>"):
            message = parse(b"From: a@example.org\r\nMessage-ID: " + unsafe.encode()
                            + b"\r\nIn-Reply-To: " + unsafe.encode() + b"\r\nReferences: "
                            + unsafe.encode() + b" <ok.1@x.org>\r\n\r\nHi")
            assert message.message_id_made, unsafe
            assert message.in_reply_to is None
            assert message.references == "<ok.1@x.org>"


def test_a_declared_type_that_is_not_a_plain_token_pair_reads_as_octet_stream():
    raw = (b'Content-Type: multipart/mixed; boundary="B"\r\n\r\n--B\r\n'
           b"Content-Type: text/plain\r\n\r\nhi\r\n--B\r\n"
           b'Content-Type: application/pd\x00f\r\nContent-Disposition: attachment; '
           b'filename="a.pdf"\r\n\r\nx\r\n--B\r\n'
           b'Content-Type: Application/PDF\r\nContent-Disposition: attachment; '
           b'filename="b.pdf"\r\n\r\ny\r\n--B--\r\n')
    assert [a.content_type for a in parse(raw).attachments] == [
        "application/octet-stream", "application/pdf"]
