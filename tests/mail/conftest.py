"""Real SMTP relays on 127.0.0.1 (aiosmtpd): plain, STARTTLS with a login, and SMTPS."""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
import ssl
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email.message import EmailMessage

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from coalition.mail.transport import SmtpTransport

RELAY_HOST = "127.0.0.1"


@dataclass
class Delivery:
    """One message as the relay received it."""

    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    tls: bool
    login: str | None


class RecordingHandler:
    """Keeps every accepted message; answers chosen recipients with a chosen reply."""

    def __init__(self) -> None:
        self.deliveries: list[Delivery] = []
        self.replies: dict[str, str] = {}
        self.connections = 0
        # Not named auth_*: aiosmtpd would advertise such a handler attribute as a mechanism.
        self.logins_tried: list[tuple[str, str]] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        reply = self.replies.get(address.lower())
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        # Covers both STARTTLS and implicit TLS; aiosmtpd's session.ssl only knows STARTTLS.
        tls = server.transport.get_extra_info("ssl_object") is not None
        login = session.auth_data.login.decode() if session.authenticated else None
        self.deliveries.append(Delivery(
            mail_from=envelope.mail_from,
            rcpt_tos=list(envelope.rcpt_tos),
            message=email.message_from_bytes(envelope.content, policy=email.policy.default),
            tls=tls,
            login=login,
        ))
        return "250 2.0.0 Message accepted"


class CountingController(Controller):
    """Counts connections: aiosmtpd builds one SMTP protocol object per connection."""

    def factory(self):
        self.handler.connections += 1
        return super().factory()


class Relay:
    """A running relay, what it received, and a client transport configured for it."""

    user = "relay-user"
    password = "relay-password-1"

    def __init__(self, handler: RecordingHandler, port: int, security: str, ca_file: str):
        self.handler = handler
        self.host = RELAY_HOST
        self.port = port
        self.security = security
        self.ca_file = ca_file

    @property
    def deliveries(self) -> list[Delivery]:
        return self.handler.deliveries

    @property
    def connections(self) -> int:
        return self.handler.connections

    def answer(self, recipient: str, reply: str) -> None:
        """Answer RCPT TO for `recipient` with `reply`, e.g. "550 5.1.1 no such user"."""
        self.handler.replies[recipient.lower()] = reply

    def transport(self, **overrides) -> SmtpTransport:
        # A fixed local_hostname spares a reverse DNS lookup on machines where it is slow.
        options = {"host": self.host, "port": self.port, "security": self.security,
                   "ca_file": self.ca_file, "timeout": 5, "local_hostname": "client.test"}
        options.update(overrides)
        return SmtpTransport(**options)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((RELAY_HOST, 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def certificate_authority() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="session")
def ca_file(certificate_authority, tmp_path_factory) -> str:
    """The test CA as a PEM file, which is how SMTP_CA_FILE hands it to the client."""
    path = tmp_path_factory.mktemp("tls") / "ca.pem"
    certificate_authority.cert_pem.write_to_path(str(path))
    return str(path)


@pytest.fixture(scope="session")
def server_tls_context(certificate_authority) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    certificate_authority.issue_cert(RELAY_HOST, "localhost").configure_cert(context)
    return context


@pytest.fixture
def start_relay(server_tls_context, ca_file) -> Iterator[Callable[..., Relay]]:
    """Start a relay: security "none", "starttls" (TLS and login required) or "ssl"."""
    controllers: list[Controller] = []

    def _start(security: str = "none", mechanisms: tuple[str, ...] = ("LOGIN", "PLAIN"),
               smtputf8: bool = True) -> Relay:
        handler = RecordingHandler()
        port = free_port()

        def authenticator(server, session, envelope, mechanism, auth_data):
            handler.logins_tried.append((mechanism, auth_data.login.decode()))
            accepted = (isinstance(auth_data, LoginPassword)
                        and auth_data.login == Relay.user.encode()
                        and auth_data.password == Relay.password.encode())
            # handled=False makes aiosmtpd itself answer a failure with 535.
            return AuthResult(success=accepted, handled=False, auth_data=auth_data)

        options: dict = {"server_hostname": "relay.test", "enable_SMTPUTF8": smtputf8}
        excluded = [m for m in ("LOGIN", "PLAIN") if m not in mechanisms]
        if security == "starttls":
            options.update(tls_context=server_tls_context, require_starttls=True,
                           authenticator=authenticator, auth_require_tls=True,
                           auth_exclude_mechanism=excluded)
        elif security == "ssl":
            # aiosmtpd counts only STARTTLS as TLS for auth_require_tls, so on an implicit
            # TLS port the requirement has to be lifted for AUTH to be offered at all.
            options.update(ssl_context=server_tls_context, authenticator=authenticator,
                           auth_require_tls=False, auth_exclude_mechanism=excluded)
        elif security != "none":
            raise ValueError(security)
        controller = CountingController(handler, hostname=RELAY_HOST, port=port, **options)
        controller.start()
        controllers.append(controller)
        handler.connections = 0  # Controller.start() opens one probe connection of its own
        return Relay(handler, port, security, ca_file)

    yield _start
    for controller in controllers:
        controller.stop()


@pytest.fixture
def relay(start_relay) -> Relay:
    return start_relay("none")


@pytest.fixture
def starttls_relay(start_relay) -> Relay:
    return start_relay("starttls")


@pytest.fixture
def smtps_relay(start_relay) -> Relay:
    return start_relay("ssl")


@pytest.fixture
def closed_port() -> int:
    """A port on which nothing listens (it was free a moment ago)."""
    return free_port()


# --- a slow relay, so that a worker killed mid-send is killed mid-send (delivery tests) ---

class SlowHandler(RecordingHandler):
    """Takes a few milliseconds over each message, as a real relay does."""

    def __init__(self, delay: float) -> None:
        super().__init__()
        self.delay = delay

    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(self.delay)
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def slow_relay(ca_file) -> Iterator[Relay]:
    handler = SlowHandler(delay=0.005)
    controller = CountingController(handler, hostname=RELAY_HOST, port=free_port(),
                                    server_hostname="relay.test")
    controller.start()
    handler.connections = 0
    yield Relay(handler, controller.port, "none", ca_file)
    controller.stop()


# --- signed-in clients for the pages' tests ------------------------------------------------

@pytest.fixture
def focal_client(client, focal, login):
    """The test client, signed in as a focal contact."""
    login(focal)
    return client


@pytest.fixture
def anonymous(app):
    """A second client that never signs in (and keeps no session of the first)."""
    return app.test_client()


@pytest.fixture
def lmtp(app):
    """A running LMTP server for the test's app (tests/mail/fixtures_inbound.py)."""
    from tests.mail.fixtures_inbound import running_server

    yield from running_server(app)
