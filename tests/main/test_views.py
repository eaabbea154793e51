"""The home page, for each role."""


def test_home_invites_visitors_to_sign_in(client):
    page = client.get("/").get_data(as_text=True)
    assert "Sign in" in page
    assert "Welcome" not in page


def test_home_greets_the_signed_in_person_by_name(client, focal, login):
    login(focal)
    page = client.get("/").get_data(as_text=True)
    assert "Welcome, Fatima Focal" in page
    assert "Audit trail" in page


def test_member_home_has_no_focal_contact_links(client, member, login):
    login(member)
    page = client.get("/").get_data(as_text=True)
    assert "Welcome, Mateo Member" in page
    assert "Audit trail" not in page
