"""The health check answers plain text, signed in or not, without the database."""

from __future__ import annotations


def test_health_check_says_ok_in_plain_text(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    assert response.get_data(as_text=True) == "ok\n"
