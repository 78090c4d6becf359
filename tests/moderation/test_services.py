from __future__ import annotations

import pytest
from django.utils import timezone

from bridgenote.accounts.models import User
from bridgenote.moderation import services
from bridgenote.moderation.models import (
    Appeal,
    ModerationCase,
    ModerationDecision,
    ReasonTemplate,
    Report,
    RescanJob,
)
from bridgenote.moderation.services import ModerationError, ModerationRefused
from bridgenote.notes.models import Note
from tests.factories import UserFactory, ava, liwei

pytestmark = pytest.mark.django_db


def _note(author: User, title: str = "", body: str = "") -> Note:
    return Note.objects.create(
        author=author, title=title, body=body, status=Note.Status.PUBLISHED,
        published_at=timezone.now(),
    )  # fmt: skip


@pytest.fixture
def moderator() -> User:
    return UserFactory(handle="mod", is_moderator=True)


@pytest.fixture
def template() -> ReasonTemplate:
    return ReasonTemplate.objects.create(
        code="spam-test", text_en="This note advertises.", text_zh="这篇笔记含有广告。"
    )


def test_note_check_submission_refuses_with_term_and_field() -> None:
    services.rule_save(term="微信", category="spam", action="refuse")
    with pytest.raises(ModerationRefused) as caught:
        services.note_check_submission(author=ava(), title="好物", body="加我 微 信 领")
    assert caught.value.term == "微 信"
    assert caught.value.field == "body"
    assert "微 信" in caught.value.message


def test_note_check_submission_returns_hold_for_homophones() -> None:
    services.rule_save(term="微信", category="spam", action="refuse", pinyin=True)
    decision = services.note_check_submission(author=ava(), title="", body="加我威信")
    assert decision.action == "hold"


def test_note_check_submission_new_accounts_go_to_review(settings: object) -> None:
    settings.MODERATION_NEW_ACCOUNT_REVIEW_NOTES = 1  # type: ignore[attr-defined]
    author = ava()
    assert services.note_check_submission(author=author, title="hi", body="").action == "hold"
    _note(author, "first")
    assert services.note_check_submission(author=author, title="hi", body="").action == "allow"


def test_note_check_submission_new_account_policy_off_by_default() -> None:
    assert services.note_check_submission(author=ava(), title="hi", body="").action == "allow"


def test_after_note_saved_holds_note_and_opens_case() -> None:
    services.rule_save(term="卖淫", category="illegal", action="hold")
    note = _note(liwei(), body="这里有卖淫信息")
    decision = services.after_note_saved(note=note)
    note.refresh_from_db()
    assert decision.action == "hold"
    assert note.moderation == Note.Moderation.PENDING
    case = ModerationCase.objects.get(note=note)
    assert case.state == "open"
    assert case.matches[0]["term"] == "卖淫"
    assert note.body[case.matches[0]["start"] : case.matches[0]["end"]] == "卖淫"


def test_after_note_saved_limits_note() -> None:
    services.rule_save(term="buy followers", category="spam", action="limit")
    note = _note(ava(), body="Buy followers cheap")
    services.after_note_saved(note=note)
    note.refresh_from_db()
    assert note.moderation == Note.Moderation.LIMITED


def test_after_note_saved_leaves_clean_note_published() -> None:
    note = _note(ava(), body="Sunday brunch in Chengdu")
    assert services.after_note_saved(note=note).action == "allow"
    note.refresh_from_db()
    assert note.moderation == Note.Moderation.PUBLISHED
    assert not ModerationCase.objects.exists()


def test_case_open_for_note_keeps_one_open_case() -> None:
    note = _note(ava(), body="x")
    first = services.case_open_for_note(note=note, matches=[])
    second = services.case_open_for_note(note=note, matches=[])
    assert first.pk == second.pk


def test_decision_record_sets_moderation_and_audits(
    moderator: User, template: ReasonTemplate
) -> None:
    note = _note(ava(), body="x")
    case = services.case_open_for_note(note=note, matches=[])
    entry = services.decision_record(
        case=case, moderator=moderator, action="remove", template=template, reason_en="Repeat."
    )
    note.refresh_from_db()
    case.refresh_from_db()
    assert note.moderation == Note.Moderation.REMOVED
    assert case.state == "closed"
    assert entry.reason_en == "This note advertises.\n\nRepeat."
    assert entry.reason_zh == "这篇笔记含有广告。"
    with pytest.raises(ModerationError) as caught:
        services.decision_record(case=case, moderator=moderator, action="approve")
    assert caught.value.code == "closed"


def test_decision_record_refuses_non_moderators() -> None:
    note = _note(ava(), body="x")
    case = services.case_open_for_note(note=note, matches=[])
    with pytest.raises(ModerationError):
        services.decision_record(case=case, moderator=liwei(), action="approve")


def test_decisions_bulk_skips_decided_cases(moderator: User) -> None:
    author = ava()
    cases = [services.case_open_for_note(note=_note(author, body=str(i))) for i in range(3)]
    services.decision_record(case=cases[0], moderator=moderator, action="approve")
    done = services.decisions_bulk(cases=cases, moderator=moderator, action="limit")
    assert len(done) == 2
    assert Note.objects.filter(moderation="limited").count() == 2


def test_report_create_counts_and_rejects_duplicates_and_own_notes() -> None:
    author, reporter = ava(), liwei()
    note = _note(author, body="x")
    services.report_create(reporter=reporter, note=note, category="spam", text="ads")
    case = ModerationCase.objects.get(note=note)
    assert case.report_count == 1
    with pytest.raises(ModerationError) as caught:
        services.report_create(reporter=reporter, note=note, category="spam")
    assert caught.value.code == "duplicate"
    with pytest.raises(ModerationError) as caught:
        services.report_create(reporter=author, note=note, category="spam")
    assert caught.value.code == "own_note"
    with pytest.raises(ModerationError) as caught:
        services.report_create(reporter=UserFactory(), note=note, category="nonsense")
    assert caught.value.code == "bad_category"


def test_report_create_is_rate_limited(settings: object) -> None:
    settings.MODERATION_REPORTS_PER_HOUR = 2  # type: ignore[attr-defined]
    reporter = liwei()
    notes = [_note(ava(), body=str(i)) if i == 0 else _note(UserFactory(), body=str(i))
             for i in range(3)]  # fmt: skip
    services.report_create(reporter=reporter, note=notes[0], category="spam")
    services.report_create(reporter=reporter, note=notes[1], category="spam")
    with pytest.raises(ModerationError) as caught:
        services.report_create(reporter=reporter, note=notes[2], category="spam")
    assert caught.value.code == "rate_limited"
    assert Report.objects.count() == 2


def test_reports_hide_note_at_threshold(settings: object) -> None:
    settings.MODERATION_REPORTS_TO_HOLD = 2  # type: ignore[attr-defined]
    note = _note(ava(), body="x")
    services.report_create(reporter=UserFactory(), note=note, category="spam")
    note.refresh_from_db()
    assert note.moderation == "published"
    services.report_create(reporter=UserFactory(), note=note, category="spam")
    note.refresh_from_db()
    assert note.moderation == "pending"


def test_appeal_create_and_overturn(moderator: User) -> None:
    author = ava()
    note = _note(author, body="x")
    case = services.case_open_for_note(note=note)
    services.decision_record(case=case, moderator=moderator, action="remove")
    note.refresh_from_db()
    appeal = services.appeal_create(author=author, note=note, text="It was a recipe.")
    assert ModerationCase.objects.filter(note=note, state="open").count() == 1
    with pytest.raises(ModerationError) as caught:
        services.appeal_create(author=author, note=note, text="again")
    assert caught.value.code == "open_appeal"
    services.appeal_decide(appeal=appeal, moderator=moderator, overturn=True, outcome="Sorry!")
    note.refresh_from_db()
    appeal.refresh_from_db()
    assert note.moderation == "published"
    assert appeal.state == Appeal.State.OVERTURNED
    assert not ModerationCase.objects.filter(note=note, state="open").exists()
    assert ModerationDecision.objects.filter(note=note, action="approve").exists()


def test_appeal_create_only_for_author_of_decided_note(moderator: User) -> None:
    author = ava()
    note = _note(author, body="x")
    with pytest.raises(ModerationError) as caught:
        services.appeal_create(author=author, note=note, text="why")
    assert caught.value.code == "nothing_to_appeal"
    services.decision_record(
        case=services.case_open_for_note(note=note), moderator=moderator, action="limit"
    )
    note.refresh_from_db()
    with pytest.raises(ModerationError) as caught:
        services.appeal_create(author=liwei(), note=note, text="why")
    assert caught.value.code == "not_author"
    with pytest.raises(ModerationError) as caught:
        services.appeal_create(author=author, note=note, text="   ")
    assert caught.value.code == "empty"


def test_appeal_upheld_keeps_decision(moderator: User) -> None:
    author = ava()
    note = _note(author, body="x")
    services.decision_record(
        case=services.case_open_for_note(note=note), moderator=moderator, action="remove"
    )
    note.refresh_from_db()
    appeal = services.appeal_create(author=author, note=note, text="please")
    services.appeal_decide(appeal=appeal, moderator=moderator, overturn=False)
    note.refresh_from_db()
    assert note.moderation == "removed"
    assert not ModerationCase.objects.filter(note=note, state="open").exists()


def test_rescan_flags_notes_after_rule_change(django_capture_on_commit_callbacks: object) -> None:
    author = ava()
    clean = [_note(author, body=f"brunch {i}") for i in range(5)]
    bad = _note(author, body="buy followers here")
    services.rule_save(term="buy followers", category="spam", action="hold")
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        job = services.rescan_start()
    job.refresh_from_db()
    assert job.state == RescanJob.State.DONE
    assert (job.total, job.processed, job.flagged) == (6, 6, 1)
    bad.refresh_from_db()
    assert bad.moderation == "pending"
    assert all(Note.objects.get(pk=n.pk).moderation == "published" for n in clean)
    assert ModerationCase.objects.get(note=bad).source == "rescan"


def test_rescan_step_advances_in_batches() -> None:
    author = ava()
    for i in range(5):
        _note(author, body=f"n{i}")
    job = RescanJob.objects.create(total=5)
    steps = [services.rescan_step(job_id=job.pk, batch_size=2) for _ in range(4)]
    assert [s.scanned for s in steps] == [2, 2, 1, 0]
    assert steps[-1].done
    job.refresh_from_db()
    assert job.processed == 5
    assert job.state == "done"


def test_after_attachment_ready_holds_note_on_image_match() -> None:
    from bridgenote.moderation.models import ImageRule

    ImageRule.objects.create(phash="ffff0000ffff0000", max_distance=4, category="sexual",
                             action="refuse")  # fmt: skip
    note = _note(ava(), body="photo")
    assert services.after_attachment_ready(note=note, phash="0000ffff0000ffff") == "allow"
    assert services.after_attachment_ready(note=note, phash="ffff0000ffff0001") == "hold"
    note.refresh_from_db()
    assert note.moderation == "pending"
    assert ModerationCase.objects.get(note=note).source == "image"


def test_note_check_submission_refuses_known_image() -> None:
    from bridgenote.moderation.models import ImageRule

    ImageRule.objects.create(phash="ffff0000ffff0000", max_distance=4, category="sexual",
                             action="refuse")  # fmt: skip
    with pytest.raises(ModerationError) as caught:
        services.note_check_submission(
            author=ava(), title="", body="", phashes=["ffff0000ffff0003"]
        )
    assert caught.value.code == "image_refused"


def test_masked_filter_hides_mask_terms() -> None:
    from django.template import Context, Template

    services.rule_save(term="shit", category="profanity", action="mask")
    rendered = Template("{% load moderation %}{{ body|masked }}").render(
        Context({"body": "oh shit <b>"})
    )
    assert rendered == "oh **** &lt;b&gt;"


def test_rescan_equals_the_one_note_path_for_a_mixed_batch(
    django_capture_on_commit_callbacks: object,
) -> None:
    """The batched rescan (values_list reads, scan_texts, bulk writes) gives every note of a
    mixed batch the state, case matches, audit entry and notice the one-note path gives it."""
    from bridgenote.media.models import Attachment
    from bridgenote.notes.models import NoteAttachment
    from bridgenote.notify.models import Notification

    author, other = ava(), liwei()
    services.rule_save(term="buy followers", category="spam", action="hold")
    services.rule_save(term="赌博", category="illegal", action="limit")
    services.rule_save(term="damn", category="profanity", action="mask")
    services.rule_save(term="微信", category="spam", action="refuse", pinyin=True)
    services.allow_phrase_save(phrase="buy followers guide")
    notes = [
        _note(author, body="brunch with friends"),
        _note(author, title="buy followers", body="cheap"),
        _note(other, body="网上赌 博 平台"),
        _note(author, body="damn good noodles"),
        _note(other, body="read the buy followers guide first"),
        _note(author, body="加我威信聊"),
        _note(other, body="微 信 号 123"),
        _note(author, body="赌博 and buy followers both"),
        _note(author, body="ｂｕｙ　ｆｏｌｌｏｗｅｒｓ"),
    ]
    alt_lang = _note(other, body="hello")
    alt_lang.alt_language, alt_lang.alt_body = "zh-hans", "这里有赌博"
    alt_lang.save()
    pictured = _note(author, body="a photo")
    attachment = Attachment.objects.create(owner=author, kind="image", alt_text="buy followers")
    NoteAttachment.objects.create(note=pictured, attachment=attachment, position=0)
    # One already has an open case (from a report): the rescan merges into it.
    reported = _note(other, body="buy followers now")
    services.case_open_for_note(note=reported, matches=[], source="report")
    notes += [alt_lang, pictured, reported]
    expected = {}
    for note in notes:
        matches = services.note_matches(note)
        action = services.decide(
            [services.scan_text(t, language=lang) for _, t, lang in services.note_texts(note)]
        ).action
        expected[note.pk] = (action, matches)
    before = Notification.objects.count()
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        job = services.rescan_start()
    job.refresh_from_db()
    flagged = {pk for pk, (action, _) in expected.items() if action in ("hold", "limit", "refuse")}
    assert (job.processed, job.flagged) == (len(notes), len(flagged))
    assert len(flagged) >= 7
    for note in notes:
        note.refresh_from_db()
        action, matches = expected[note.pk]
        if note.pk not in flagged:
            assert note.moderation == "published", note.body
            assert not ModerationCase.objects.filter(note=note).exists()
            continue
        state = "limited" if action == "limit" else "pending"
        assert note.moderation == state, note.body
        case = ModerationCase.objects.get(note=note, state="open")
        assert case.matches == matches, note.body
        decision = ModerationDecision.objects.get(note=note)
        assert decision.action == ("limit" if action == "limit" else "hold")
        assert decision.reason_en == "rescan"
    assert Notification.objects.count() - before == len(flagged)


def test_rescan_splits_into_chunk_jobs_that_run_in_any_order(
    settings: object, django_capture_on_commit_callbacks: object
) -> None:
    """Chunks cover every note once; interleaved steps of different chunks (as parallel
    workers would run them) give the same outcome; the job is done when the last one is."""
    from itertools import pairwise

    from bridgenote.moderation.models import RescanChunk

    settings.MODERATION_RESCAN_CHUNK = 3  # type: ignore[attr-defined]
    author = ava()
    notes = [_note(author, body=f"brunch {i}") for i in range(7)]
    bad = [_note(author, body="buy followers here"), _note(author, body="more buy followers")]
    services.rule_save(term="buy followers", category="spam", action="hold")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:  # type: ignore[operator]
        job = services.rescan_start()
    chunks = list(RescanChunk.objects.filter(job=job).order_by("last_id"))
    assert len(chunks) == len(callbacks) == 3  # one job per chunk
    assert chunks[0].last_id < notes[0].pk and chunks[-1].end_id == bad[-1].pk
    assert all(a.end_id == b.last_id for a, b in pairwise(chunks))
    # Interleave: one batch of each chunk in turn, the last chunk first.
    pending = [c.pk for c in reversed(chunks)]
    while pending:
        for pk in list(pending):
            if services.rescan_step(job_id=job.pk, chunk_id=pk, batch_size=2).done:
                pending.remove(pk)
                job.refresh_from_db()
                assert (job.state == "done") == (not pending)
    job.refresh_from_db()
    assert (job.total, job.processed, job.flagged) == (9, 9, 2)
    assert {n.pk for n in Note.objects.filter(moderation="pending")} == {b.pk for b in bad}
    assert ModerationDecision.objects.filter(reason_en="rescan").count() == 2
    # A chunk that is done stays done; running the whole job again scans nothing more.
    assert services.rescan_run(job_id=job.pk).processed == 9


def test_rescan_batch_enqueues_two_follow_up_jobs_whatever_it_flags(
    django_capture_on_commit_callbacks: object,
) -> None:
    """One batch with several flagged notes: one ``notes_sync`` job for all of them and one
    notices job (one insert), not two jobs per note; running them syncs and tells each."""
    from bridgenote.notify.models import Notification

    author, other = ava(), liwei()
    bad = [_note(author, body=f"buy followers {i}") for i in range(3)]
    bad.append(_note(other, body="more buy followers"))
    _note(author, body="brunch")
    services.rule_save(term="buy followers", category="spam", action="hold")
    job = RescanJob.objects.create(total=5)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:  # type: ignore[operator]
        assert services.rescan_step(job_id=job.pk, batch_size=10).flagged == 4
    names = sorted(c.func.__self__.name for c in callbacks)  # type: ignore[attr-defined]
    assert names == ["moderation_outcomes", "notes_sync"]
    for callback in callbacks:
        callback()
    notices = Notification.objects.filter(verb="moderation")
    assert sorted(n.note_id for n in notices) == sorted(n.pk for n in bad)
    assert {n.recipient_id for n in notices} == {author.pk, other.pk}
    assert all(n.detail["outcome"] == "held" and n.detail["target"] == "note" for n in notices)
