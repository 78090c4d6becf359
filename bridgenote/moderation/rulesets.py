"""Rule lists as files: JSON lines or CSV, validated line by line.

JSON lines: ``{"term": "...", "languages": ["zh"], "category": "sexual", "action": "hold",
"pinyin": false, "note": ""}`` or ``{"allow": "乳腺检查"}`` for an allow-phrase.
CSV (with a header row): ``term,languages,category,action[,pinyin][,note]``; languages are
separated by spaces or ``|``; an ``allow`` action makes the term an allow-phrase.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from bridgenote.moderation.models import AllowPhrase, Category, KeywordRule, RuleAction
from bridgenote.moderation.normalize import normalize

STARTER = Path(__file__).resolve().parent / "data" / "starter.jsonl"
LANGUAGES = {"zh", "en", "ja", "ko"}
_TRUE = {"1", "true", "yes", "y"}
_FALSE = {"", "0", "false", "no", "n"}


@dataclass
class RuleRow:
    line: int
    term: str
    languages: list[str] = field(default_factory=list)
    category: str = ""
    action: str = ""
    pinyin: bool = False
    note: str = ""
    allow: bool = False


@dataclass
class ImportReport:
    rules: list[RuleRow] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)
    created: int = 0
    updated: int = 0
    allow_phrases: int = 0


def parse(text: str) -> ImportReport:
    """Parse and validate a rule file; every bad line is reported with its number."""
    report = ImportReport()
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    rows = _json_lines(text) if first.startswith("{") else _csv_rows(text)
    for line, row in rows:
        if isinstance(row, str):
            report.errors.append((line, row))
            continue
        try:
            report.rules.append(_validate(line, row))
        except ValueError as error:
            report.errors.append((line, str(error)))
    return report


def _json_lines(text: str) -> list[tuple[int, dict[str, Any] | str]]:
    rows: list[tuple[int, dict[str, Any] | str]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as error:
            rows.append((number, _("not valid JSON (%(error)s)") % {"error": error.msg}))
            continue
        if not isinstance(value, dict):
            rows.append((number, _("each line must be a JSON object")))
            continue
        rows.append((number, value))
    return rows


def _csv_rows(text: str) -> list[tuple[int, dict[str, Any] | str]]:
    reader = csv.DictReader(io.StringIO(text))
    missing = {"term", "category", "action"} - set(reader.fieldnames or [])
    if missing:
        return [(1, _("the header must name the columns term, languages, category, action"))]
    rows: list[tuple[int, dict[str, Any] | str]] = []
    for row in reader:
        if not any((v or "").strip() for v in row.values() if isinstance(v, str)):
            continue
        values: dict[str, Any] = {k: (v or "").strip() for k, v in row.items() if k}
        if values.get("action") == "allow":
            values = {"allow": values.get("term", "")}
        rows.append((reader.line_num, values))
    return rows


def _validate(line: int, row: dict[str, Any]) -> RuleRow:
    if "allow" in row:
        phrase = row["allow"]
        if not isinstance(phrase, str) or not normalize(phrase).strip():
            raise ValueError(_("the allow-phrase is empty"))
        if len(phrase) > 200:
            raise ValueError(_("the phrase is longer than 200 characters"))
        return RuleRow(line=line, term=phrase.strip(), allow=True)
    term = row.get("term")
    if not isinstance(term, str) or not normalize(term.rstrip("*")).strip():
        raise ValueError(_("the term is missing or empty"))
    if len(term) > 200:
        raise ValueError(_("the term is longer than 200 characters"))
    languages = row.get("languages") or []
    if isinstance(languages, str):
        languages = languages.replace("|", " ").split()
    if not isinstance(languages, list) or not all(isinstance(x, str) for x in languages):
        raise ValueError(_("languages must be a list of language codes"))
    unknown = sorted(set(languages) - LANGUAGES)
    if unknown:
        raise ValueError(
            _("unknown language %(codes)s (use zh, en, ja, ko)") % {"codes": ", ".join(unknown)}
        )
    category = row.get("category")
    if category not in Category.values:
        raise ValueError(
            _("unknown category “%(value)s” (use %(choices)s)")
            % {"value": category, "choices": ", ".join(Category.values)}
        )
    action = row.get("action")
    if action not in RuleAction.values:
        raise ValueError(
            _("unknown action “%(value)s” (use %(choices)s)")
            % {"value": action, "choices": ", ".join(RuleAction.values)}
        )
    pinyin = row.get("pinyin", False)
    if isinstance(pinyin, str):
        if pinyin.lower() not in _TRUE | _FALSE:
            raise ValueError(_("pinyin must be true or false"))
        pinyin = pinyin.lower() in _TRUE
    note = row.get("note") or ""
    if not isinstance(note, str) or len(note) > 500:
        raise ValueError(_("the note must be text of at most 500 characters"))
    return RuleRow(
        line=line, term=term.strip(), languages=sorted(set(languages)), category=category,
        action=action, pinyin=bool(pinyin), note=note,
    )  # fmt: skip


@transaction.atomic
def rules_import(*, report: ImportReport, created_by: Any = None) -> ImportReport:
    """Write the parsed rules (create or update by normalised term) and allow-phrases."""
    from bridgenote.moderation.services import _normalized_term, rules_changed

    for row in report.rules:
        if row.allow:
            AllowPhrase.objects.update_or_create(
                normalized=normalize(row.term).strip(),
                defaults={"phrase": row.term, "enabled": True},
                create_defaults={"phrase": row.term, "created_by": created_by},
            )
            report.allow_phrases += 1
            continue
        _rule, created = KeywordRule.objects.update_or_create(
            normalized=_normalized_term(row.term),
            defaults={
                "term": row.term, "languages": row.languages, "category": row.category,
                "action": row.action, "pinyin": row.pinyin, "note": row.note, "enabled": True,
            },
            create_defaults={
                "term": row.term, "languages": row.languages, "category": row.category,
                "action": row.action, "pinyin": row.pinyin, "note": row.note,
                "created_by": created_by,
            },
        )  # fmt: skip
        if created:
            report.created += 1
        else:
            report.updated += 1
    rules_changed()
    return report


def export_lines() -> list[str]:
    """Every rule and allow-phrase as JSON lines, importable again."""
    lines = [
        json.dumps(
            {
                "term": r.term,
                "languages": r.languages,
                "category": r.category,
                "action": r.action,
                "pinyin": r.pinyin,
                "note": r.note,
            },
            ensure_ascii=False,
        )
        for r in KeywordRule.objects.filter(enabled=True).order_by("id")
    ]
    lines.extend(
        json.dumps({"allow": p.phrase}, ensure_ascii=False)
        for p in AllowPhrase.objects.filter(enabled=True).order_by("id")
    )
    return lines
