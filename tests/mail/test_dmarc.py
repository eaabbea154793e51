"""The DMARC check against a real (tiny) DNS server on 127.0.0.1: what a domain publishes
decides whether list copies are sent as "Name via List"."""

from __future__ import annotations

import logging
import socket
import threading
from collections import Counter
from collections.abc import Iterator

import dns.message
import dns.rcode
import dns.rrset
import pytest
from flask import Flask

from coalition.mail import dmarc

RECORDS = {
    "_dmarc.strict-sender.org": ["v=DMARC1; p=reject; rua=mailto:d@strict-sender.org"],
    "_dmarc.quarantine.org": ["v=DMARC1;p=quarantine"],
    "_dmarc.relaxed.org": ["v=spf1 -all", "v=DMARC1; p=none"],
    "_dmarc.parent.org": ["v=DMARC1; p=none; sp=reject"],
    "_dmarc.strict.co.uk": ["v=DMARC1; p=reject"],
}


class DnsServer:
    """Answers TXT questions from `records` over UDP; SERVFAIL for names in `failing`;
    NXDOMAIN for anything else. Counts the questions it was asked."""

    def __init__(self, records: dict[str, list[str]], failing: tuple[str, ...] = ()):
        self.records, self.failing = records, failing
        self.asked: Counter[str] = Counter()
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.socket.bind(("127.0.0.1", 0))
        self.address = f"127.0.0.1:{self.socket.getsockname()[1]}"
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                data, peer = self.socket.recvfrom(4096)
            except OSError:  # closed
                return
            query = dns.message.from_wire(data)
            response = dns.message.make_response(query)
            question = query.question[0]
            name = question.name.to_text(omit_final_dot=True).lower()
            self.asked[name] += 1
            if name in self.failing:
                response.set_rcode(dns.rcode.SERVFAIL)
            elif name in self.records:
                response.answer.append(dns.rrset.from_text(
                    question.name, 300, "IN", "TXT",
                    *(f'"{text}"' for text in self.records[name])))
            else:
                response.set_rcode(dns.rcode.NXDOMAIN)
            self.socket.sendto(response.to_wire(), peer)

    def close(self) -> None:
        self.socket.close()


@pytest.fixture
def dns_server() -> Iterator[DnsServer]:
    server = DnsServer(RECORDS, failing=("_dmarc.broken.org",))
    dmarc.clear_cache()
    yield server
    server.close()
    dmarc.clear_cache()


@pytest.fixture
def resolving(dns_server) -> Iterator[DnsServer]:
    """An application context whose resolver is the test's DNS server."""
    app = Flask(__name__)
    app.config["DNS_NAMESERVER"] = dns_server.address
    with app.app_context():
        yield dns_server


@pytest.mark.parametrize(("domain", "strict"), [
    ("strict-sender.org", True),  # p=reject
    ("quarantine.org", True),
    ("relaxed.org", False),  # p=none, beside an SPF record that is not DMARC
    ("nothing.org", False),  # no record anywhere
    ("mail.strict-sender.org", True),  # no record of its own: the organisation's p
    ("lists.parent.org", True),  # the organisation's sp applies to its subdomains
    ("parent.org", False),  # … and not to itself
    ("dept.strict.co.uk", True),  # organisational domain under a two-part suffix
    ("Strict-Sender.ORG.", True),
])
def test_strict_policies_are_found(resolving, domain, strict):
    assert dmarc.is_strict(domain) is strict


def test_answers_are_cached(resolving):
    assert dmarc.is_strict("strict-sender.org")
    assert dmarc.is_strict("strict-sender.org")
    assert not dmarc.is_strict("nothing.org")
    assert not dmarc.is_strict("nothing.org")
    assert resolving.asked["_dmarc.strict-sender.org"] == 1
    assert resolving.asked["_dmarc.nothing.org"] == 1


def test_a_dns_failure_counts_as_not_strict_and_is_logged(resolving, caplog):
    with caplog.at_level(logging.WARNING, logger="coalition.mail.dmarc"):
        assert not dmarc.is_strict("broken.org")
    assert "DMARC policy of broken.org unknown" in caplog.text


def test_reserved_and_bare_names_are_never_asked(resolving):
    for domain in ("example.net", "mail.example.org", "lists.coalition.test", "localhost", ""):
        assert not dmarc.is_strict(domain)
    assert not resolving.asked


def test_organisational_domain():
    assert dmarc.organisational_domain("a.b.example.org") == "example.org"
    assert dmarc.organisational_domain("mail.example.co.uk") == "example.co.uk"
    assert dmarc.organisational_domain("example.de") == "example.de"
