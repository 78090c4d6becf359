import pytest


@pytest.mark.django_db
def test_shell_speaks_english_by_default(client):
    page = client.get("/about/", HTTP_ACCEPT_LANGUAGE="en-US").content.decode()
    assert '<html lang="en">' in page
    assert ">Discover<" in page


@pytest.mark.django_db
@pytest.mark.parametrize("accept", ["zh-CN,zh;q=0.9", "zh-Hans", "zh"])
def test_shell_first_guesses_chinese_from_accept_language(client, accept):
    page = client.get("/about/", HTTP_ACCEPT_LANGUAGE=accept).content.decode()
    assert '<html lang="zh-Hans">' in page
    assert ">发现<" in page
    assert "消息" in page


@pytest.mark.django_db
def test_language_switch_sets_a_cookie_that_wins_over_accept_language(client):
    response = client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/about/"})
    assert response.status_code == 302
    page = client.get("/about/", HTTP_ACCEPT_LANGUAGE="en-US").content.decode()
    assert ">发现<" in page
