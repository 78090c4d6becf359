from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from bridgenote.moderation import rulesets
from bridgenote.moderation.models import AllowPhrase, KeywordRule
from bridgenote.moderation.rules import scan_text

pytestmark = pytest.mark.django_db


def test_parse_json_lines_reports_each_bad_line() -> None:
    text = "\n".join(
        [
            '{"term": "buy followers", "languages": ["en"], "category": "spam", "action": "hold"}',
            "{not json",
            '{"term": "", "category": "spam", "action": "hold"}',
            '{"term": "x", "category": "rude", "action": "hold"}',
            '{"term": "y", "category": "spam", "action": "delete"}',
            '{"term": "z", "languages": ["xx"], "category": "spam", "action": "hold"}',
            '["a list"]',
            '{"allow": "乳腺检查"}',
        ]
    )
    report = rulesets.parse(text)
    assert [r.term for r in report.rules] == ["buy followers", "乳腺检查"]
    lines = dict(report.errors)
    assert sorted(lines) == [2, 3, 4, 5, 6, 7]
    assert "not valid JSON" in lines[2]
    assert "term is missing" in lines[3]
    assert "unknown category “rude”" in lines[4]
    assert "unknown action “delete”" in lines[5]
    assert "unknown language xx" in lines[6]


def test_parse_csv_with_languages_and_allow_rows() -> None:
    text = (
        "term,languages,category,action,pinyin\n"
        "微信,zh,spam,refuse,true\n"
        "gift card,en|zh,spam,limit,\n"
        "乳酪蛋糕,,,allow,\n"
        "bad,en,spam,hold,maybe\n"
    )
    report = rulesets.parse(text)
    assert [(r.term, r.languages, r.pinyin, r.allow) for r in report.rules] == [
        ("微信", ["zh"], True, False),
        ("gift card", ["en", "zh"], False, False),
        ("乳酪蛋糕", [], False, True),
    ]
    assert report.errors == [(5, "pinyin must be true or false")]


def test_parse_csv_without_header_is_one_clear_error() -> None:
    report = rulesets.parse("微信,zh,spam,refuse\n")
    assert report.errors and report.errors[0][0] == 1
    assert "header" in report.errors[0][1]


def test_import_then_export_round_trips() -> None:
    report = rulesets.parse(
        '{"term": "微信", "languages": ["zh"], "category": "spam", "action": "refuse", '
        '"pinyin": true}\n'
        '{"allow": "微信支付"}\n'
    )
    rulesets.rules_import(report=report)
    exported = [json.loads(line) for line in rulesets.export_lines()]
    assert exported == [
        {"term": "微信", "languages": ["zh"], "category": "spam", "action": "refuse",
         "pinyin": True, "note": ""},
        {"allow": "微信支付"},
    ]  # fmt: skip
    again = rulesets.rules_import(report=rulesets.parse("\n".join(rulesets.export_lines())))
    assert (again.created, again.updated) == (0, 1)
    assert scan_text("微信支付").matches == ()


def test_import_command_starter_loads_rules() -> None:
    call_command("moderation-import", "--starter")
    assert KeywordRule.objects.count() > 400
    assert AllowPhrase.objects.filter(phrase="乳腺检查").exists()
    assert not KeywordRule.objects.filter(term__in=["gay", "乳", "性", "nude"]).exists()
    assert not KeywordRule.objects.filter(action="refuse").exists()


def test_import_command_refuses_file_with_errors(tmp_path: Path) -> None:
    path = tmp_path / "rules.jsonl"
    path.write_text(
        '{"term": "ok", "category": "spam", "action": "hold"}\n{"term": "bad"}\n',
        encoding="utf-8",
    )
    with pytest.raises(CommandError, match="1 invalid line"):
        call_command("moderation-import", str(path))
    assert not KeywordRule.objects.exists()


def test_import_command_reads_csv_file(tmp_path: Path) -> None:
    path = tmp_path / "rules.csv"
    path.write_text("term,languages,category,action\nspam link,en,spam,hold\n", encoding="utf-8")
    call_command("moderation-import", str(path))
    assert KeywordRule.objects.get().term == "spam link"


def test_import_command_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="cannot read"):
        call_command("moderation-import", str(tmp_path / "nope.csv"))
