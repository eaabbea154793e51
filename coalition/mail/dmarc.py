"""Whether a sender's domain asks receivers to refuse mail that fails DMARC.

A list changes the message (subject prefix, footer) and sends it from its own servers, so
a copy sent with the member's own From fails DMARC at the receiver. Where the member's
domain publishes p=reject or p=quarantine, the copies are sent as "Name via List"
instead (listmail.py), as Mailman's dmarc_mitigate_action "munge_from" does.

Answers are cached per process for an hour; a DNS failure (cached five minutes) counts as
"not strict" (the copy keeps the member's From, as before this check existed) and is
logged.
"""

from __future__ import annotations

import logging
import threading
import time

import dns.exception
import dns.resolver
from flask import current_app

log = logging.getLogger(__name__)

TTL_SECONDS = 3600
FAILURE_TTL_SECONDS = 300  # a resolver that failed is asked again sooner
TIMEOUT_SECONDS = 2.0
STRICT = {"reject", "quarantine"}
# Second-level labels under which a country's registry hands out names (example.co.uk):
# a cheap stand-in for the Public Suffix List, enough for the organisational domain.
_SECOND_LEVEL = {"co", "com", "ac", "gov", "org", "net", "edu", "or", "ne", "go", "gob",
                 "nic", "mil", "sch", "ltd", "plc"}

# Names reserved for documentation and testing (RFC 2606, RFC 6761): nobody real sends
# from them, and asking DNS about them would only cost a timeout on a machine offline.
_RESERVED = ("example", "test", "invalid", "localhost", "local")
_RESERVED_DOMAINS = ("example.com", "example.net", "example.org")

_cache: dict[tuple[str, str], tuple[float, bool]] = {}
_lock = threading.Lock()


def organisational_domain(domain: str) -> str:
    labels = domain.lower().rstrip(".").split(".")
    if len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2] in _SECOND_LEVEL:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


def _resolver(nameserver: str) -> dns.resolver.Resolver:
    if nameserver:
        resolver = dns.resolver.Resolver(configure=False)
        host, _, port = nameserver.rpartition(":")
        if not host or not port.isdigit():  # a bare host (or an IPv6 address without port)
            host, port = nameserver, "53"
        resolver.nameservers = [host.strip("[]")]
        resolver.port = int(port)
    else:
        resolver = dns.resolver.Resolver()
    resolver.timeout = resolver.lifetime = TIMEOUT_SECONDS
    return resolver


def _policy(resolver: dns.resolver.Resolver, domain: str) -> dict[str, str] | None:
    """The tags of the DMARC record at `_dmarc.<domain>`, or None if there is none."""
    try:
        answer = resolver.resolve(f"_dmarc.{domain}", "TXT")
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
        return None
    for record in answer:
        text = b"".join(record.strings).decode("ascii", "replace").strip()
        if not text.lower().startswith("v=dmarc1"):
            continue
        tags = {}
        for item in text.split(";"):
            key, _, value = item.partition("=")
            tags[key.strip().lower()] = value.strip().lower()
        return tags
    return None


def lookup(domain: str, nameserver: str = "") -> bool:
    """The DMARC question asked of DNS (uncached): RFC 7489 6.6.3, the domain's own
    record, else its organisational domain's (whose `sp` applies to subdomains)."""
    resolver = _resolver(nameserver)
    tags = _policy(resolver, domain)
    if tags is None:
        organisation = organisational_domain(domain)
        if organisation != domain:
            tags = _policy(resolver, organisation)
            if tags is not None and "sp" in tags:
                return tags["sp"] in STRICT
    return tags is not None and tags.get("p") in STRICT


def is_strict(domain: str) -> bool:
    """Whether `domain` publishes p=reject or p=quarantine (cached; False on DNS failure)."""
    domain = (domain or "").strip().lower().rstrip(".")
    if not domain or "." not in domain or domain.rsplit(".", 1)[1] in _RESERVED \
            or organisational_domain(domain) in _RESERVED_DOMAINS:
        return False
    nameserver = current_app.config.get("DNS_NAMESERVER") or ""
    key = (nameserver, domain)
    now = time.monotonic()
    with _lock:
        cached = _cache.get(key)
    if cached is not None and cached[0] > now:
        return cached[1]
    ttl = TTL_SECONDS
    try:
        strict = lookup(domain, nameserver)
    except (dns.exception.DNSException, OSError, ValueError) as error:
        log.warning("DMARC policy of %s unknown (%s): the copies keep the sender's From",
                    domain, error)
        strict, ttl = False, FAILURE_TTL_SECONDS
    with _lock:
        _cache[key] = (now + ttl, strict)
    return strict


def clear_cache() -> None:
    with _lock:
        _cache.clear()
