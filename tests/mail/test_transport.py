"""Mail transports against real aiosmtpd relays, and notifications leaving the app on commit."""

from __future__ import annotations

import email
import email.policy
import logging
import re
from email.message import EmailMessage
from types import SimpleNamespace

import pytest

from coalition.auth import services as auth
from coalition.config import load_settings, resolve
from coalition.db import utcnow
from coalition.mail.messages import address, notification
from coalition.mail.transport import (
    FileTransport,
    SmtpTransport,
    TransportError,
    transport_from_config,
)

SENDER = "noreply@lists.coalition.test"
INVITATION_LINK = re.compile(r"http://coalition\.test/invitations/(\S+)")
RESET_LINK = re.compile(r"http://coalition\.test/password/reset/(\S+)")


@pytest.fixture
def app_overrides(relay) -> dict:
    """The app sends its notifications to the plain relay of the test."""
    return {"MAIL_BACKEND": "smtp", "SMTP_HOST": relay.host, "SMTP_PORT": relay.port,
            "SMTP_SECURITY": "none", "SMTP_TIMEOUT": 5}


def letter(to: str = "ada@example.org", name: str = "Ada Lovelace",
           subject: str = "Minutes of the meeting") -> EmailMessage:
    message = EmailMessage()
    message["From"] = address("Test Coalition", SENDER)
    message["To"] = address(name, to)
    message["Subject"] = subject
    message.set_content("See you on Tuesday.\n")
    return message


def read_eml(path) -> EmailMessage:
    return email.message_from_bytes(path.read_bytes(), policy=email.policy.default)


# --- the file backend ------------------------------------------------------------------

def test_file_transport_writes_one_readable_file_per_message(tmp_path):
    folder = tmp_path / "outbox"  # not there yet: the transport creates it
    with FileTransport(folder) as transport:
        transport.send(letter(name="Zoë Ñandú", subject="Réunion à 14 h — ordre du jour"))
        transport.send(letter(to="bob@example.org", name="Bob"),
                       recipients=["archive@example.org"], sender="bounces@example.org")

    files = sorted(folder.iterdir())
    assert [path.suffix for path in files] == [".eml", ".eml"]  # no temporary file left
    messages = {message["To"].addresses[0].username: message
                for message in map(read_eml, files)}

    zoe = messages["ada"]
    assert zoe["Subject"] == "Réunion à 14 h — ordre du jour"
    assert zoe["To"].addresses[0].display_name == "Zoë Ñandú"
    assert zoe["From"].addresses[0].addr_spec == SENDER
    assert zoe["X-Envelope-From"] == f"<{SENDER}>"
    assert zoe.get_all("X-Envelope-To") == ["<ada@example.org>"]
    assert zoe.get_content().strip() == "See you on Tuesday."

    bob = messages["bob"]
    assert bob["X-Envelope-From"] == "<bounces@example.org>"
    assert bob.get_all("X-Envelope-To") == ["<archive@example.org>"]


def test_file_transport_envelope_includes_cc_and_bcc(tmp_path):
    message = letter()
    message["Cc"] = "Carla <carla@example.org>"
    message["Bcc"] = "dan@example.org"
    with FileTransport(tmp_path) as transport:
        transport.send(message)

    [written] = tmp_path.glob("*.eml")
    assert read_eml(written).get_all("X-Envelope-To") == [
        "<ada@example.org>", "<carla@example.org>", "<dan@example.org>"]


def test_file_transport_keeps_an_internationalised_recipient(tmp_path):
    with FileTransport(tmp_path) as transport:
        transport.send(letter(to="zoë@example.org"))

    [written] = tmp_path.glob("*.eml")
    assert read_eml(written).get_all("X-Envelope-To") == ["<zoë@example.org>"]


# --- SMTP --------------------------------------------------------------------------------

def test_smtp_delivers_with_envelope_and_headers(relay):
    with relay.transport() as transport:
        transport.send(letter(name="Zoë Ñandú", subject="Réunion à 14 h"))

    [delivery] = relay.deliveries
    assert delivery.mail_from == SENDER
    assert delivery.rcpt_tos == ["ada@example.org"]
    assert delivery.message["Subject"] == "Réunion à 14 h"
    assert delivery.message["To"].addresses[0].display_name == "Zoë Ñandú"
    assert delivery.message.get_content().strip() == "See you on Tuesday."
    assert not delivery.tls


def test_smtp_strips_bcc_but_delivers_to_it(relay):
    message = letter()
    message["Bcc"] = "dan@example.org"
    with relay.transport() as transport:
        transport.send(message)

    [delivery] = relay.deliveries
    assert delivery.rcpt_tos == ["ada@example.org", "dan@example.org"]
    assert delivery.message["Bcc"] is None


def test_one_connection_serves_a_whole_batch(relay):
    with relay.transport() as transport:
        for n in range(3):
            transport.send(letter(to=f"person{n}@example.org"))
    assert relay.connections == 1
    assert [d.rcpt_tos for d in relay.deliveries] == [
        ["person0@example.org"], ["person1@example.org"], ["person2@example.org"]]

    with relay.transport() as transport:  # leaving the block closed the first one
        transport.send(letter())
    assert relay.connections == 2


@pytest.mark.parametrize("mechanism", ["LOGIN", "PLAIN"])
def test_starttls_with_login_delivers_over_tls(start_relay, mechanism):
    relay = start_relay("starttls", mechanisms=(mechanism,))
    with relay.transport(user=relay.user, password=relay.password) as transport:
        transport.send(letter())

    [delivery] = relay.deliveries
    # The relay offers AUTH only after STARTTLS, so a login proves the upgrade too.
    assert delivery.tls
    assert delivery.login == relay.user
    assert relay.handler.logins_tried == [(mechanism, relay.user)]


def test_wrong_password_is_a_permanent_error(starttls_relay):
    transport = starttls_relay.transport(user=starttls_relay.user, password="not-the-password")
    with pytest.raises(TransportError) as caught, transport:
        transport.send(letter())

    assert caught.value.temporary is False
    assert caught.value.code == 535
    assert starttls_relay.deliveries == []


def test_no_password_leaves_without_tls(starttls_relay):
    transport = starttls_relay.transport(security="none", user=starttls_relay.user,
                                         password=starttls_relay.password)
    with pytest.raises(TransportError), transport:
        transport.send(letter())

    assert starttls_relay.handler.logins_tried == []
    assert starttls_relay.deliveries == []


def test_an_untrusted_certificate_is_refused(starttls_relay):
    transport = starttls_relay.transport(ca_file=None,  # the system CAs never signed it
                                         user=starttls_relay.user,
                                         password=starttls_relay.password)
    with pytest.raises(TransportError), transport:
        transport.send(letter())

    assert starttls_relay.handler.logins_tried == []
    assert starttls_relay.deliveries == []


def test_smtps_delivers(smtps_relay):
    with smtps_relay.transport(user=smtps_relay.user,
                               password=smtps_relay.password) as transport:
        transport.send(letter())

    [delivery] = smtps_relay.deliveries
    assert delivery.tls
    assert delivery.login == smtps_relay.user
    assert delivery.rcpt_tos == ["ada@example.org"]


@pytest.mark.parametrize(("reply", "temporary", "code"), [
    ("451 4.3.0 try later", True, 451),
    ("550 5.1.1 no such user", False, 550),
])
def test_a_refused_recipient_says_whether_to_retry(relay, reply, temporary, code):
    relay.answer("ada@example.org", reply)
    with pytest.raises(TransportError) as caught, relay.transport() as transport:
        transport.send(letter())

    assert caught.value.temporary is temporary
    assert caught.value.code == code
    assert relay.deliveries == []


def test_the_connection_survives_a_refused_recipient(relay):
    relay.answer("gone@example.org", "550 5.1.1 no such user")
    with relay.transport() as transport:
        with pytest.raises(TransportError):
            transport.send(letter(to="gone@example.org"))
        transport.send(letter())

    assert [d.rcpt_tos for d in relay.deliveries] == [["ada@example.org"]]
    assert relay.connections == 1


def test_partly_refused_recipients_are_reported_after_the_others_got_it(relay):
    relay.answer("gone@example.org", "550 5.1.1 no such user")
    with pytest.raises(TransportError) as caught, relay.transport() as transport:
        transport.send(letter(), recipients=["ada@example.org", "gone@example.org"])

    assert caught.value.temporary is False
    assert caught.value.code == 550
    assert [d.rcpt_tos for d in relay.deliveries] == [["ada@example.org"]]


def test_nothing_listening_is_a_temporary_error(closed_port):
    transport = SmtpTransport("127.0.0.1", closed_port, timeout=5, local_hostname="client.test")
    with pytest.raises(TransportError) as caught, transport:
        transport.send(letter())

    assert caught.value.temporary is True
    assert caught.value.code is None


def test_an_internationalised_address_without_smtputf8_is_a_transport_error(start_relay):
    relay = start_relay("none", smtputf8=False)
    with pytest.raises(TransportError) as caught, relay.transport() as transport:
        transport.send(letter(to="zoë@example.org"))

    assert caught.value.temporary is False
    assert relay.deliveries == []


# --- choosing the backend ----------------------------------------------------------------

def settings(tmp_path, **values) -> dict:
    """Settings as the app resolves them, from defaults plus `values` only."""
    raw = load_settings(tmp_path, environ={})
    raw.update(values)
    return resolve(raw, tmp_path)


def test_file_backend_writes_to_the_outbox_dir(tmp_path):
    outbox = tmp_path / "outbox"
    with transport_from_config(settings(tmp_path, OUTBOX_DIR=str(outbox))) as transport:
        transport.send(letter())

    assert len(list(outbox.glob("*.eml"))) == 1


def test_smtp_backend_uses_the_smtp_settings(tmp_path, starttls_relay):
    config = settings(tmp_path, MAIL_BACKEND="smtp", SMTP_HOST=starttls_relay.host,
                      SMTP_PORT=starttls_relay.port, SMTP_SECURITY="starttls",
                      SMTP_USER=starttls_relay.user, SMTP_PASSWORD=starttls_relay.password,
                      SMTP_CA_FILE=starttls_relay.ca_file, SMTP_TIMEOUT=5,
                      OUTBOX_DIR=str(tmp_path / "outbox"))
    with transport_from_config(config) as transport:
        transport.send(letter())

    [delivery] = starttls_relay.deliveries
    assert delivery.tls
    assert delivery.login == starttls_relay.user
    assert not (tmp_path / "outbox").exists()


# --- notifications from the app ----------------------------------------------------------

def test_invitation_is_sent_when_the_invitation_commits(db, focal, relay):
    invitation = auth.invite(focal, email="Newcomer@Example.org", name="Nia Newcomer",
                             role="member")
    assert relay.deliveries == []  # queued, not sent, until the transaction commits
    db.session.commit()

    [delivery] = relay.deliveries
    assert delivery.rcpt_tos == ["newcomer@example.org"]
    assert delivery.mail_from == SENDER
    message = delivery.message
    assert message["Subject"] == "You are invited to Test Coalition"
    assert str(message["To"]) == "Nia Newcomer <newcomer@example.org>"
    body = message.get_content()
    assert "Fatima Focal has invited you" in body
    token = INVITATION_LINK.search(body).group(1)
    assert auth.invitation_from_token(token) == invitation


def test_rolled_back_invitation_sends_nothing(db, focal, relay):
    auth.invite(focal, email="newcomer@example.org", name="Nia Newcomer", role="member")
    db.session.rollback()
    db.session.commit()  # a later commit must not pick up the discarded message

    assert relay.deliveries == []
    assert relay.connections == 0


def test_password_reset_mails_a_known_address(db, create_user, relay):
    user = create_user(email="known@example.org", name="Kim Known")
    auth.request_password_reset("Known@Example.org ")
    db.session.commit()

    [delivery] = relay.deliveries
    assert delivery.rcpt_tos == ["known@example.org"]
    assert delivery.message["Subject"] == "Reset your Test Coalition password"
    token = RESET_LINK.search(delivery.message.get_content()).group(1)
    assert auth.user_from_reset_token(token) == user


def test_password_reset_for_an_unknown_address_sends_nothing(db, create_user, relay):
    create_user(email="known@example.org")
    auth.request_password_reset("stranger@example.org")
    db.session.commit()

    assert relay.deliveries == []


def test_an_unreachable_relay_keeps_the_invitation(db, focal, relay, caplog):
    relay.answer("newcomer@example.org", "451 4.3.0 try later")
    invitation = auth.invite(focal, email="newcomer@example.org", name="Nia Newcomer")
    with caplog.at_level(logging.ERROR, logger="coalition.mail.outgoing"):
        db.session.commit()  # must not raise: the focal contact can send the invitation again

    assert relay.deliveries == []
    assert "451" in caplog.text
    db.session.expire_all()
    assert invitation.status(utcnow()) == "pending"


def test_releasing_a_savepoint_sends_nothing_yet(db, focal, relay):
    with db.session.begin_nested():
        auth.invite(focal, email="newcomer@example.org", name="Nia Newcomer")
    assert relay.deliveries == []
    db.session.rollback()
    assert relay.deliveries == []


def test_a_rolled_back_savepoint_keeps_earlier_mail(db, focal, relay):
    auth.invite(focal, email="newcomer@example.org", name="Nia Newcomer")
    with pytest.raises(RuntimeError), db.session.begin_nested():
        raise RuntimeError("an optional step failed")
    db.session.commit()

    assert [d.rcpt_tos for d in relay.deliveries] == [["newcomer@example.org"]]


def test_one_refused_address_does_not_stop_the_other_invitations(db, focal, relay):
    relay.answer("gone@example.org", "550 5.1.1 no such user")
    auth.invite(focal, email="gone@example.org", name="Gus Gone")
    auth.invite(focal, email="newcomer@example.org", name="Nia Newcomer")
    db.session.commit()

    assert [d.rcpt_tos for d in relay.deliveries] == [["newcomer@example.org"]]


# --- header injection --------------------------------------------------------------------

@pytest.mark.parametrize("field", ["subject", "name"])
@pytest.mark.parametrize("newline", ["\r\n", "\n", "\u2028"])
def test_a_newline_cannot_add_a_header(app, relay, field, newline):
    values = {"subject": "Hello", "name": "Ada Lovelace"}
    values[field] += f"{newline}Bcc: evil@example.com"
    message = notification(values["name"], "ada@example.org", values["subject"],
                           "auth/email/password_reset.txt",
                           user=SimpleNamespace(name=values["name"]),
                           link="http://coalition.test/x", minutes=60)
    with relay.transport() as transport:
        transport.send(message)

    [delivery] = relay.deliveries
    assert delivery.rcpt_tos == ["ada@example.org"]
    received = delivery.message
    assert received["Bcc"] is None
    expected = {"subject": "Hello Bcc: evil@example.com",
                "name": "Ada Lovelace Bcc: evil@example.com"}[field]
    shown = {"subject": str(received["Subject"]),
             "name": received["To"].addresses[0].display_name}[field]
    assert shown == expected


def test_a_plain_ascii_notification_keeps_its_link_on_one_line(app):
    link = "http://coalition.test/password/reset/" + "x" * 120
    message = notification("Ada", "ada@example.org", "Reset", "auth/email/password_reset.txt",
                            user=SimpleNamespace(name="Ada"), link=link, minutes=60)
    assert link in message.as_string()
