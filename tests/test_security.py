"""Headers and error pages every response carries, signed in or not."""

from __future__ import annotations

import pytest

from tests.conftest import make_test_app


def test_pages_carry_security_headers(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_signed_in_pages_are_never_cached(client, member, login):
    login(member)
    assert client.get("/").headers["Cache-Control"] == "private, no-store"


def test_no_page_has_inline_script_or_style(client, focal, login):
    login(focal)
    for url in ("/", "/users/", "/users/invite", "/audit/", "/account/password"):
        page = client.get(url).get_data(as_text=True)
        assert "<script>" not in page and " style=" not in page and " onclick=" not in page, url


def test_https_base_url_makes_cookies_secure_and_adds_hsts(database_url, tmp_path):
    app = make_test_app(database_url, tmp_path / "i", BASE_URL="https://dc.example.org")
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["REMEMBER_COOKIE_SECURE"]
    with app.test_client() as client:
        response = client.get("/login")
        assert "max-age" in response.headers["Strict-Transport-Security"]
        cookie = next(c for c in response.headers.getlist("Set-Cookie")
                      if c.startswith("coalition_session="))
        assert "Secure" in cookie


def test_unknown_page_gets_a_friendly_404(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)


def test_oversized_request_gets_the_413_page(client):
    limit = client.application.config["MAX_CONTENT_LENGTH"]
    response = client.post("/password/forgot", data={"email": "x" * (limit + 1)})
    assert response.status_code == 413
    assert "larger than the 20 MB this site accepts" in response.get_data(as_text=True)


@pytest.fixture
def failing_app(database_url, tmp_path):
    app = make_test_app(database_url, tmp_path / "i", PROPAGATE_EXCEPTIONS=False)

    @app.route("/boom")
    def boom():
        raise RuntimeError("boom")

    return app


def test_an_unexpected_error_gets_the_500_page(failing_app):
    response = failing_app.test_client().get("/boom")
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "Something went wrong" in page and "boom" not in page
