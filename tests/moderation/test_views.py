from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from bridgenote.accounts.models import User
from bridgenote.moderation import services
from bridgenote.moderation.models import Appeal, ModerationCase, ReasonTemplate
from bridgenote.notes.models import Note
from tests.factories import UserFactory, ava, liwei

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("reason_templates")]


def _note(author: User, title: str = "", body: str = "") -> Note:
    return Note.objects.create(
        author=author, title=title, body=body, status=Note.Status.PUBLISHED,
        published_at=timezone.now(),
    )  # fmt: skip


@pytest.fixture
def moderator_client(client: Client) -> Client:
    client.force_login(UserFactory(handle="mod", is_moderator=True))
    return client


@pytest.fixture
def case() -> ModerationCase:
    services.rule_save(term="卖淫", category="illegal", action="hold")
    note = _note(liwei(), title="<b>标题</b>", body="<script>x</script> 卖 淫 广告")
    services.after_note_saved(note=note)
    return ModerationCase.objects.get(note=note)


def _urls(case: ModerationCase, appeal_id: int) -> list[tuple[str, str]]:
    return [
        ("get", reverse("moderation:queue")),
        ("get", reverse("moderation:case", args=[case.pk])),
        ("post", reverse("moderation:case", args=[case.pk])),
        ("post", reverse("moderation:bulk")),
        ("get", reverse("moderation:log")),
        ("get", reverse("moderation:appeals")),
        ("post", reverse("moderation:appeal_decide", args=[appeal_id])),
        ("post", reverse("moderation:rescan")),
        ("get", reverse("moderation:account", args=[case.note.author_id])),
        ("post", reverse("moderation:account", args=[case.note.author_id])),
    ]


def test_every_console_url_is_hidden_from_normal_users_and_anonymous(
    client: Client, case: ModerationCase
) -> None:
    for method, url in _urls(case, 1):
        response = getattr(client, method)(url)
        assert response.status_code == 302, url
        assert "/accounts/login/" in response["Location"]
    client.force_login(ava())
    for method, url in _urls(case, 1):
        response = getattr(client, method)(url, {"action": "approve", "cases": [case.pk]})
        assert response.status_code == 404, url
    case.refresh_from_db()
    assert case.state == "open"
    assert User.objects.get(pk=case.note.author_id).is_active  # no account action either


def test_queue_lists_case_with_escaped_highlight(
    moderator_client: Client, case: ModerationCase
) -> None:
    response = moderator_client.get(reverse("moderation:queue"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "<mark>卖 淫</mark>" in html
    assert "&lt;script&gt;x&lt;/script&gt;" in html
    assert "<script>x</script>" not in html
    assert "&lt;b&gt;标题&lt;/b&gt;" in html


def test_queue_orders_by_reports(moderator_client: Client) -> None:
    author = ava()
    quiet, loud = _note(author, body="quiet"), _note(author, body="loud")
    services.case_open_for_note(note=quiet)
    for _ in range(3):
        services.report_create(reporter=UserFactory(), note=loud, category="spam")
    html = moderator_client.get(reverse("moderation:queue") + "?order=reports").content.decode()
    assert html.index("loud") < html.index("quiet")
    html = moderator_client.get(reverse("moderation:queue")).content.decode()
    assert html.index("quiet") < html.index("loud")


def test_case_decide_removes_note_with_template(
    moderator_client: Client, case: ModerationCase
) -> None:
    template = ReasonTemplate.objects.get(code="illegal")
    response = moderator_client.post(
        reverse("moderation:case", args=[case.pk]),
        {"action": "remove", "template": template.pk, "reason_en": "", "reason_zh": ""},
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == "closed"
    assert Note.objects.get(pk=case.note_id).moderation == "removed"
    log = moderator_client.get(reverse("moderation:log")).content.decode()
    assert "@mod" in log
    assert template.text_for("en", "note") in log  # "This note offers..."


def test_case_decide_requires_reason_for_removal(
    moderator_client: Client, case: ModerationCase
) -> None:
    response = moderator_client.post(
        reverse("moderation:case", args=[case.pk]), {"action": "remove"}
    )
    assert response.status_code == 400
    assert "Give the author a reason" in response.content.decode()
    case.refresh_from_db()
    assert case.state == "open"


def test_case_decide_rejects_bad_action(moderator_client: Client, case: ModerationCase) -> None:
    response = moderator_client.post(
        reverse("moderation:case", args=[case.pk]), {"action": "delete-everything"}
    )
    assert response.status_code == 400
    assert 'class="errorlist' in response.content.decode()


def test_bulk_approves_selected_cases(moderator_client: Client) -> None:
    author = ava()
    cases = [services.case_open_for_note(note=_note(author, body=str(i))) for i in range(3)]
    response = moderator_client.post(
        reverse("moderation:bulk"), {"action": "approve", "cases": [cases[0].pk, cases[1].pk]}
    )
    assert response.status_code == 302
    states = [ModerationCase.objects.get(pk=c.pk).state for c in cases]
    assert states == ["closed", "closed", "open"]


def test_bulk_without_selection_shows_error(moderator_client: Client) -> None:
    response = moderator_client.post(reverse("moderation:bulk"), {"action": "approve"}, follow=True)
    assert "Select at least one case." in response.content.decode()


def test_appeal_decide_from_console(moderator_client: Client) -> None:
    author = ava()
    note = _note(author, body="recipe")
    services.decision_record(
        case=services.case_open_for_note(note=note),
        moderator=User.objects.get(handle="mod"), action="remove",
    )  # fmt: skip
    note.refresh_from_db()
    appeal = services.appeal_create(author=author, note=note, text="It is a recipe")
    page = moderator_client.get(reverse("moderation:appeals")).content.decode()
    assert "It is a recipe" in page
    moderator_client.post(
        reverse("moderation:appeal_decide", args=[appeal.pk]), {"overturn": "1", "outcome": "ok"}
    )
    appeal.refresh_from_db()
    assert appeal.state == Appeal.State.OVERTURNED
    assert Note.objects.get(pk=note.pk).moderation == "published"


def test_console_in_chinese(moderator_client: Client, case: ModerationCase) -> None:
    moderator_client.cookies["bn_lang"] = "zh-hans"
    html = moderator_client.get(reverse("moderation:queue")).content.decode()
    assert "审核队列" in html


def test_report_page_files_report(client: Client) -> None:
    note = _note(ava(), title="Hotpot", body="buy followers")
    client.force_login(liwei())
    url = reverse("moderation:report", args=[note.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"category": "spam", "text": "广告"})
    assert response.status_code == 200
    assert ModerationCase.objects.get(note=note).report_count == 1


def test_report_page_without_category_keeps_text(client: Client) -> None:
    note = _note(ava(), title="Hotpot")
    client.force_login(liwei())
    response = client.post(reverse("moderation:report", args=[note.pk]), {"text": "我写的说明"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Choose what is wrong with this note." in html
    assert "我写的说明" in html


def test_report_own_note_shows_error(client: Client) -> None:
    author = ava()
    note = _note(author, title="Hotpot")
    client.force_login(author)
    response = client.post(reverse("moderation:report", args=[note.pk]), {"category": "spam"})
    assert response.status_code == 400
    assert "You can&#x27;t report your own note." in response.content.decode()


def test_report_private_or_removed_note_is_404(client: Client) -> None:
    author = ava()
    hidden = _note(author, title="x")
    Note.objects.filter(pk=hidden.pk).update(visibility="private")
    removed = _note(author, title="y")
    Note.objects.filter(pk=removed.pk).update(moderation="removed")
    client.force_login(liwei())
    for note in (hidden, removed):
        assert client.get(reverse("moderation:report", args=[note.pk])).status_code == 404


def test_report_page_needs_login(client: Client) -> None:
    note = _note(ava(), title="x")
    response = client.get(reverse("moderation:report", args=[note.pk]))
    assert response.status_code == 302


def test_appeal_page_for_author_only(client: Client) -> None:
    author = ava()
    note = _note(author, title="Recipe")
    mod = UserFactory(handle="mod2", is_moderator=True)
    template = ReasonTemplate.objects.get(code="spam")
    services.decision_record(
        case=services.case_open_for_note(note=note), moderator=mod, action="remove",
        template=template,
    )  # fmt: skip
    url = reverse("moderation:appeal", args=[note.pk])
    client.force_login(liwei())
    assert client.get(url).status_code == 404
    client.force_login(author)
    page = client.get(url).content.decode()
    assert "This note advertises or contains contact details" in page
    response = client.post(url, {"text": ""})
    assert response.status_code == 400
    assert "Tell the moderators why the decision is wrong." in response.content.decode()
    response = client.post(url, {"text": "It is a recipe"})
    assert response.status_code == 302
    assert Appeal.objects.get(note=note).text == "It is a recipe"
    assert "Your appeal is waiting" in client.get(url).content.decode()


def test_queue_one_click_remove_with_template(moderator_client: Client) -> None:
    author = ava()
    keep, drop = _note(author, body="keep"), _note(author, body="drop")
    cases = [services.case_open_for_note(note=n) for n in (keep, drop)]
    template = ReasonTemplate.objects.get(code="spam")
    html = moderator_client.get(reverse("moderation:queue")).content.decode()
    assert f'value="remove:{cases[1].pk}"' in html
    moderator_client.post(
        reverse("moderation:bulk"),
        {"quick": f"remove:{cases[1].pk}", "cases": [cases[0].pk], "template": template.pk},
    )
    assert Note.objects.get(pk=drop.pk).moderation == "removed"
    assert ModerationCase.objects.get(pk=cases[0].pk).state == "open"


def test_queue_one_click_remove_without_reason_is_refused(moderator_client: Client) -> None:
    case = services.case_open_for_note(note=_note(ava(), body="x"))
    response = moderator_client.post(
        reverse("moderation:bulk"), {"quick": f"remove:{case.pk}"}, follow=True
    )
    assert "Pick a reason for limiting or removing." in response.content.decode()
    assert ModerationCase.objects.get(pk=case.pk).state == "open"
