"""Settings: defaults, then an optional instance config file, then COALITION_* variables."""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    kind: type
    help: str


# Every setting the application reads. A test checks that README.md documents each one.
SETTINGS: tuple[Setting, ...] = (
    Setting("DATABASE_URL", None, str,
            "SQLAlchemy URL; default a SQLite file instance/coalition.db"),
    Setting("SECRET_KEY", None, str,
            "signs sessions and tokens; generated once into instance/secret_key if unset"),
    Setting("BASE_URL", "http://127.0.0.1:5000", str,
            "public address, used in e-mailed links; https turns on Secure cookies and HSTS"),
    Setting("NAME", "Coalition", str, "the coalition's name, shown in pages and e-mails"),
    Setting("MAIL_DOMAIN", "example.org", str, "domain of the coalition's list addresses"),
    Setting("MAIL_FROM", None, str, "sender of notifications; default noreply@MAIL_DOMAIN"),
    Setting("MAIL_BACKEND", "file", str, "`file` (write .eml files to OUTBOX_DIR) or `smtp`"),
    Setting("OUTBOX_DIR", None, str, "where the file backend writes; default instance/outbox"),
    Setting("SMTP_HOST", "localhost", str, "relay host for the smtp backend"),
    Setting("SMTP_PORT", None, int, "relay port; default 25, 587 with starttls, 465 with ssl"),
    Setting("SMTP_SECURITY", "none", str, "`none`, `starttls` or `ssl` (SMTPS)"),
    Setting("SMTP_USER", None, str, "login for the relay, if it needs one"),
    Setting("SMTP_PASSWORD", None, str, "password for SMTP_USER"),
    Setting("SMTP_TIMEOUT", 30, int, "seconds before an SMTP connection attempt gives up"),
    Setting("SMTP_CA_FILE", None, str, "PEM bundle to trust instead of the system CAs"),
    Setting("MAIL_CONNECTIONS", 2, int,
            "SMTP connections each `coalition mail deliver` worker keeps open in parallel"),
    Setting("MAIL_RATE_PER_SECOND", 0, int,
            "messages a worker sends per second at most (0: no limit)"),
    Setting("MAIL_RATE_PER_HOUR", 0, int,
            "messages all workers together send per hour at most (0: no limit)"),
    Setting("MAIL_RETRY_SECONDS", 60, int,
            "wait before the first retry after a 4xx reply; doubles each time, up to an hour"),
    Setting("MAIL_RETRY_HOURS", 72, int,
            "how long a message is retried before it counts as failed"),
    Setting("MAIL_LEASE_SECONDS", 120, int,
            "how long a worker holds the messages it claimed; a dead worker's are then "
            "claimed again"),
    Setting("BOUNCE_THRESHOLD", 5, int,
            "bounce score at which a subscription is disabled (one bounce a day counts)"),
    Setting("SUBSCRIBE_CONFIRM_DAYS", 7, int, "how long a subscription confirmation link works"),
    Setting("LMTP_HOST", "127.0.0.1", str,
            "address `coalition mail lmtp` listens on for the mail server's list mail"),
    Setting("LMTP_PORT", 8024, int, "port of `coalition mail lmtp` (Mailman's is 8024 too)"),
    Setting("LMTP_MAX_BYTES", 25 * 1024 * 1024, int,
            "largest message the LMTP server accepts, in bytes (larger: 552 at DATA)"),
    Setting("DNS_NAMESERVER", "", str,
            "`host:port` of the resolver asked for senders' DMARC policies (empty: the "
            "system's)"),
    Setting("FY_START_MONTH", 1, int, "first month of the fiscal year (1 = January)"),
    Setting("UPLOAD_MAX_MB", 20, int, "largest accepted request body, in megabytes"),
    Setting("REPORTS_DIR", None, str,
            "where report files are kept (by SHA-256); default instance/reports"),
    Setting("BALANCE_MIN_CELL", 3, int,
            "the public balance hides any count smaller than this (k-anonymity)"),
    Setting("PASSWORD_HASH_METHOD", "scrypt", str,
            "werkzeug password-hash method (for example scrypt or pbkdf2:sha256)"),
    Setting("LOGIN_MAX_FAILURES", 10, int, "failed logins per account before a lockout"),
    Setting("LOGIN_MAX_FAILURES_PER_IP", 30, int, "failed logins per client address"),
    Setting("LOGIN_WINDOW_MINUTES", 15, int, "window over which failed logins are counted"),
    Setting("INVITATION_DAYS", 7, int, "how long an invitation link works"),
    Setting("RESET_MINUTES", 60, int, "how long a password-reset link works"),
    Setting("TRUSTED_PROXIES", 0, int,
            "number of reverse proxies in front of the app whose X-Forwarded-* to trust"),
    Setting("LOG_LEVEL", "INFO", str, "logging level"),
)

ENV_PREFIX = "COALITION_"
MIN_SECRET_KEY_LENGTH = 16
POSITIVE_SETTINGS = ("SMTP_TIMEOUT", "UPLOAD_MAX_MB", "BALANCE_MIN_CELL", "LOGIN_MAX_FAILURES",
                     "LOGIN_MAX_FAILURES_PER_IP", "LOGIN_WINDOW_MINUTES", "INVITATION_DAYS",
                     "RESET_MINUTES", "MAIL_CONNECTIONS", "MAIL_RETRY_SECONDS",
                     "MAIL_RETRY_HOURS", "MAIL_LEASE_SECONDS", "BOUNCE_THRESHOLD",
                     "SUBSCRIBE_CONFIRM_DAYS", "LMTP_PORT", "LMTP_MAX_BYTES")


class ConfigError(Exception):
    """A setting has a value the application cannot use."""


def _parse(setting: Setting, raw: str) -> Any:
    if setting.kind is int:
        try:
            return int(raw)
        except ValueError:
            raise ConfigError(
                f"{ENV_PREFIX}{setting.name} must be a whole number, not {raw!r}") from None
    if setting.kind is bool:
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    return raw


def load_settings(instance_path: Path, environ: dict[str, str] | None = None) -> dict[str, Any]:
    """Return the settings dict: defaults < instance/coalition.cfg < environment."""
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {s.name: s.default for s in SETTINGS}
    config_file = instance_path / "coalition.cfg"
    if config_file.exists():
        values.update(_read_config_file(config_file))
    for setting in SETTINGS:
        raw = environ.get(ENV_PREFIX + setting.name)
        if raw is not None and raw != "":
            values[setting.name] = _parse(setting, raw)
    return values


def _read_config_file(path: Path) -> dict[str, Any]:
    """Read `NAME = value` lines (the same names as the variables, without the prefix)."""
    known = {s.name: s for s in SETTINGS}
    values: dict[str, Any] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, raw = line.partition("=")
        name = name.strip().removeprefix(ENV_PREFIX)
        if not sep or name not in known:
            raise ConfigError(f"{path}:{number}: expected NAME = value with a known NAME")
        values[name] = _parse(known[name], _unquote(raw.strip()))
    return values


def _unquote(value: str) -> str:
    """Remove one pair of matching quotes, and nothing else (a password may end in one)."""
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


def resolve(values: dict[str, Any], instance_path: Path) -> dict[str, Any]:
    """Fill the settings whose defaults depend on others, and check the choices."""
    values = dict(values)
    if not values["DATABASE_URL"]:
        values["DATABASE_URL"] = f"sqlite:///{instance_path / 'coalition.db'}"
    if not values["SECRET_KEY"]:
        values["SECRET_KEY"] = _instance_secret_key(instance_path)
    if not values["MAIL_FROM"]:
        values["MAIL_FROM"] = f"noreply@{values['MAIL_DOMAIN']}"
    if not values["REPORTS_DIR"]:
        values["REPORTS_DIR"] = str(instance_path / "reports")
    if not values["OUTBOX_DIR"]:
        values["OUTBOX_DIR"] = str(instance_path / "outbox")
    security = values["SMTP_SECURITY"]
    if security not in {"none", "starttls", "ssl"}:
        raise ConfigError("COALITION_SMTP_SECURITY must be none, starttls or ssl")
    if not values["SMTP_PORT"]:
        values["SMTP_PORT"] = {"none": 25, "starttls": 587, "ssl": 465}[security]
    if values["MAIL_BACKEND"] not in {"file", "smtp"}:
        raise ConfigError("COALITION_MAIL_BACKEND must be file or smtp")
    if not 1 <= values["FY_START_MONTH"] <= 12:
        raise ConfigError("COALITION_FY_START_MONTH must be between 1 and 12")
    if len(values["SECRET_KEY"]) < MIN_SECRET_KEY_LENGTH:
        raise ConfigError(f"COALITION_SECRET_KEY must be at least {MIN_SECRET_KEY_LENGTH} "
                          "characters (unset it to have one generated)")
    for name in POSITIVE_SETTINGS:
        if values[name] < 1:
            raise ConfigError(f"COALITION_{name} must be 1 or more")
    for name in ("MAIL_RATE_PER_SECOND", "MAIL_RATE_PER_HOUR"):
        if values[name] < 0:
            raise ConfigError(f"COALITION_{name} must be 0 (no limit) or more")
    values["BASE_URL"] = values["BASE_URL"].rstrip("/")
    return values


def _instance_secret_key(instance_path: Path) -> str:
    """Read the key kept in the instance folder, creating it (mode 0600) the first time.

    The key is written to a temporary file and then linked into place, so a process that
    starts at the same moment never reads a half-written (empty) key.
    """
    key_file = instance_path / "secret_key"
    if not key_file.exists():
        instance_path.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=instance_path, prefix=".secret_key.")
        try:
            with os.fdopen(fd, "w", encoding="ascii") as handle:
                handle.write(secrets.token_hex(32) + "\n")
            os.chmod(temporary, 0o600)
            # If another process published its key first, that one is used.
            with contextlib.suppress(FileExistsError):
                os.link(temporary, key_file)
        finally:
            os.unlink(temporary)
    return key_file.read_text(encoding="ascii").strip()
