"""Which language a page speaks: the signed-in user's saved choice, else the browser's Accept-Language, else English;
Django admin follows the same choice, and viewers may choose theirs too."""

import pytest

from koongo.accounts.language import SESSION_LANGUAGE_KEY, saved_language
from koongo.accounts.models import Role, UserPreference
from tests.factories import MembershipFactory, UserFactory


def _speaks(response) -> str:
    assert response.status_code == 200
    assert f'<html lang="{response["Content-Language"]}">' in response.content.decode()
    return response["Content-Language"]


def test_without_a_choice_the_browser_decides(owner_client):
    page = owner_client.get("/settings/", HTTP_ACCEPT_LANGUAGE="da,en;q=0.8")
    assert _speaks(page) == "da"
    assert "<h1 class=\"h3 mb-4\">Indstillinger</h1>" in page.content.decode()
    assert _speaks(owner_client.get("/settings/", HTTP_ACCEPT_LANGUAGE="de-CH,de;q=0.9")) == "de"


@pytest.mark.parametrize("header", [None, "fr-FR,fr;q=0.9", "ja"])
def test_english_is_the_fallback(owner_client, header):
    headers = {"HTTP_ACCEPT_LANGUAGE": header} if header else {}
    page = owner_client.get("/settings/", **headers)
    assert _speaks(page) == "en"
    assert "<h1 class=\"h3 mb-4\">Settings</h1>" in page.content.decode()


def test_a_saved_choice_beats_the_browser_and_outlives_the_session(owner_client, owner):
    saved = owner_client.post("/settings/language/", {"language": "da"}, HTTP_ACCEPT_LANGUAGE="en", follow=True)
    body = saved.content.decode()
    assert saved.redirect_chain == [("/settings/", 302)] and _speaks(saved) == "da"
    assert "Sproget er gemt." in body  # confirmed in the language just chosen
    assert '<option value="da" selected>Dansk</option>' in body
    assert saved_language(owner) == "da"

    owner_client.logout()
    owner_client.force_login(owner)
    assert _speaks(owner_client.get("/settings/", HTTP_ACCEPT_LANGUAGE="sv")) == "da"

    owner_client.post("/settings/language/", {"language": ""})  # back to the browser's
    assert _speaks(owner_client.get("/settings/", HTTP_ACCEPT_LANGUAGE="sv")) == "sv"
    assert UserPreference.objects.get(user=owner).language == ""


def test_a_session_from_before_the_choice_existed_reads_it_once(owner_client, owner):
    UserPreference.objects.create(user=owner, language="pl")
    session = owner_client.session
    session.pop(SESSION_LANGUAGE_KEY)
    session.save()
    assert _speaks(owner_client.get("/settings/", HTTP_ACCEPT_LANGUAGE="en")) == "pl"
    assert owner_client.session[SESSION_LANGUAGE_KEY] == "pl"


def test_a_viewer_chooses_their_own_language(client, merchant):
    viewer = MembershipFactory(merchant=merchant, role=Role.VIEWER).user
    client.force_login(viewer)
    assert client.post("/settings/language/", {"language": "nb"}).status_code == 302
    assert saved_language(viewer) == "nb"
    assert _speaks(client.get("/settings/")) == "nb"


def test_an_unknown_language_is_refused_and_nothing_is_saved(owner_client, owner):
    answer = owner_client.post("/settings/language/", {"language": "fr"}, follow=True)
    assert "Choose one of the languages offered." in answer.content.decode()
    assert not UserPreference.objects.filter(user=owner).exists()


def test_signing_out_returns_to_the_browser_language(client, owner):
    UserPreference.objects.create(user=owner, language="da")
    client.force_login(owner)
    client.post("/logout/")
    assert client.get("/login/", HTTP_ACCEPT_LANGUAGE="nl")["Content-Language"] == "nl"


def test_django_admin_follows_the_users_choice(client, db):
    staff = UserFactory(username="ops@koongo.example", is_staff=True, is_superuser=True)
    UserPreference.objects.create(user=staff, language="da")
    client.force_login(staff)
    admin = client.get("/admin/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Website-administration" in admin and '<html lang="da"' in admin
    UserPreference.objects.filter(user=staff).update(language="")
    client.force_login(staff)
    assert "Site administration" in client.get("/admin/", HTTP_ACCEPT_LANGUAGE="en").content.decode()


def test_the_me_endpoint_shows_a_signed_in_users_choice(owner_client, owner):
    assert owner_client.get("/api/v1/me").json()["language"] is None
    owner_client.post("/settings/language/", {"language": "sv"})
    me = owner_client.get("/api/v1/me")
    assert (me.json()["auth"], me.json()["language"], me["Content-Language"]) == ("session", "sv", "sv")
