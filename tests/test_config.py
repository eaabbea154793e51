"""Settings come from COALITION_* variables and an instance file; the secret key is kept."""

from __future__ import annotations

import pytest

from coalition.config import ConfigError, load_settings, resolve

KEY = "a-secret-key-long-enough-0123456789"


def test_defaults_give_a_sqlite_file_in_the_instance_folder(tmp_path):
    values = resolve(load_settings(tmp_path, environ={}), tmp_path)
    assert values["DATABASE_URL"] == f"sqlite:///{tmp_path / 'coalition.db'}"
    assert values["MAIL_BACKEND"] == "file"
    assert values["OUTBOX_DIR"] == str(tmp_path / "outbox")
    assert values["MAIL_FROM"] == "noreply@example.org"


def test_a_missing_secret_key_is_generated_once_and_kept(tmp_path):
    first = resolve(load_settings(tmp_path, environ={}), tmp_path)["SECRET_KEY"]
    second = resolve(load_settings(tmp_path, environ={}), tmp_path)["SECRET_KEY"]
    assert first == second and len(first) >= 32
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0  # readable by the owner only


def test_environment_overrides_the_instance_file(tmp_path):
    (tmp_path / "coalition.cfg").write_text(
        "# settings\nNAME = From File\nSMTP_PORT = 2525\nCOALITION_FY_START_MONTH = 7\n")
    env = {"COALITION_NAME": "From Env", "COALITION_MAIL_DOMAIN": "lists.dc.example"}
    values = resolve(load_settings(tmp_path, environ=env), tmp_path)
    assert values["NAME"] == "From Env"
    assert values["SMTP_PORT"] == 2525
    assert values["FY_START_MONTH"] == 7
    assert values["MAIL_FROM"] == "noreply@lists.dc.example"


def test_smtp_port_follows_the_security_mode(tmp_path):
    for security, port in (("none", 25), ("starttls", 587), ("ssl", 465)):
        env = {"COALITION_SMTP_SECURITY": security, "COALITION_SECRET_KEY": KEY}
        assert resolve(load_settings(tmp_path, environ=env), tmp_path)["SMTP_PORT"] == port


@pytest.mark.parametrize("env, message", [
    ({"COALITION_SMTP_PORT": "twenty-five"}, "whole number"),
    ({"COALITION_MAIL_BACKEND": "pigeon"}, "file or smtp"),
    ({"COALITION_SMTP_SECURITY": "tls"}, "none, starttls or ssl"),
    ({"COALITION_FY_START_MONTH": "13"}, "between 1 and 12"),
    ({"COALITION_LOGIN_MAX_FAILURES": "0"}, "LOGIN_MAX_FAILURES must be 1 or more"),
])
def test_bad_values_are_refused_with_a_clear_message(tmp_path, env, message):
    with pytest.raises(ConfigError, match=message):
        resolve(load_settings(tmp_path, environ={**env, "COALITION_SECRET_KEY": KEY}), tmp_path)


def test_a_short_secret_key_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="at least 16 characters"):
        resolve(load_settings(tmp_path, environ={"COALITION_SECRET_KEY": "short"}), tmp_path)


def test_the_instance_file_removes_one_pair_of_quotes_only(tmp_path):
    (tmp_path / "coalition.cfg").write_text("SMTP_PASSWORD = 'it''s'\nNAME = \"DC 'COS'\"\n"
                                            "SMTP_USER = quote'\n")
    values = load_settings(tmp_path, environ={})
    assert values["SMTP_PASSWORD"] == "it''s"
    assert values["NAME"] == "DC 'COS'"
    assert values["SMTP_USER"] == "quote'"


def test_an_unknown_name_in_the_instance_file_is_refused(tmp_path):
    (tmp_path / "coalition.cfg").write_text("DATABSE_URL = sqlite://\n")
    with pytest.raises(ConfigError, match="coalition.cfg:1"):
        load_settings(tmp_path, environ={})


def test_the_readme_documents_every_setting():
    from coalition import PROJECT_ROOT
    from coalition.config import SETTINGS

    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    missing = [s.name for s in SETTINGS if f"`COALITION_{s.name}`" not in readme]
    assert missing == [], f"README.md does not document {missing}"
