"""The compiled rule matcher: scan a text, decide what to do, mask terms.

One Aho-Corasick automaton holds every enabled keyword rule and allow-phrase in normalised
form; a second one holds the pinyin keys of the rules that match homophones. The automata
are ahocorasick_rs (Rust): with 10,000 rules it scans short notes two to three times faster
than pyahocorasick, whose nodes look children up one by one (the root has a child for each
of hundreds of first characters), and builds much faster (bench/moderation_bench.py). Both
are built once per process and rebuilt when ``RuleSetVersion`` changes (checked at most every
``MODERATION_RULES_CHECK_SECONDS``), so a rule added in the console reaches every worker.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from collections.abc import Sequence
from dataclasses import astuple, dataclass, field
from pathlib import Path
from typing import Any

import ahocorasick_rs
import numpy as np
from django.conf import settings

from bridgenote.moderation import batch
from bridgenote.moderation.normalize import (
    homophone_pairs,
    is_han,
    normalize,
    normalize_with_map,
    pinyin_key,
)

# Strictness of each outcome; a decision is the strictest of its matches.
ACTIONS = ("allow", "mask", "limit", "hold", "refuse")
_RANK = {a: i for i, a in enumerate(ACTIONS)}


@dataclass(frozen=True, slots=True)
class CompiledRule:
    id: int
    term: str
    normalized: str
    action: str
    category: str
    languages: frozenset[str]
    prefix: bool  # trailing "*": the match may continue into a longer word
    latin_start: bool
    latin_end: bool


@dataclass(frozen=True, slots=True)
class Match:
    rule_id: int
    term: str
    action: str  # the rule's action, capped at "hold" for homophone-only matches
    category: str
    start: int  # span in the ORIGINAL text
    end: int
    via_pinyin: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule_id": self.rule_id, "term": self.term, "action": self.action,
            "category": self.category, "start": self.start, "end": self.end,
            "via_pinyin": self.via_pinyin,
        }  # fmt: skip


@dataclass(slots=True)  # not frozen: a frozen dataclass is slower to create, once per scan
class ScanResult:
    text: str
    matches: tuple[Match, ...] = ()

    @property
    def action(self) -> str:
        return max((m.action for m in self.matches), key=_RANK.__getitem__, default="allow")


@dataclass(frozen=True, slots=True)
class Decision:
    """The outcome of one or more scans: ``action`` is the strictest of ``matches``."""

    action: str = "allow"
    matches: tuple[Match, ...] = ()
    reasons: tuple[str, ...] = field(default=())

    @property
    def refused(self) -> bool:
        return self.action == "refuse"

    def stricter(self, action: str, reason: str) -> Decision:
        """This decision raised to at least ``action`` (for policies such as new accounts)."""
        if _RANK[action] <= _RANK[self.action]:
            return Decision(self.action, self.matches, (*self.reasons, reason))
        return Decision(action, self.matches, (*self.reasons, reason))


def decide(results: list[ScanResult] | tuple[ScanResult, ...] | ScanResult) -> Decision:
    """The strictest action over every match: refuse > hold > limit > mask > allow."""
    if isinstance(results, ScanResult):
        results = [results]
    matches = tuple(m for r in results for m in r.matches)
    action = max((m.action for m in matches), key=_RANK.__getitem__, default="allow")
    return Decision(action, matches)


def bisect_many(ends: Any, positions: list[int]) -> list[int]:
    """For each position, the index of the part it lies in (``ends``: the parts' ends)."""
    return [int(i) for i in np.searchsorted(ends, positions, side="right")]


def _is_word_char(char: str) -> bool:
    # Han characters are not word characters: "我喜欢sex" has a boundary before "sex".
    return char.isalnum() and not is_han(char) and ord(char) < 0x3000


@dataclass
class _Automaton:
    """Aho-Corasick over distinct keys; ``payloads[i]`` is (rule indexes, flags)."""

    engine: Any
    payloads: list[tuple[tuple[int, ...], int]]

    def find(self, text: str) -> list[tuple[int, int, tuple[int, ...], int]]:
        """Every occurrence (overlapping) as (start, end, rule indexes, flags)."""
        payloads = self.payloads
        return [
            (start, end, *payloads[index])
            for index, start, end in self.engine.find_matches_as_indexes(text, overlapping=True)
        ]


@dataclass
class Matcher:
    rules: list[CompiledRule]
    exact: _Automaton | None
    pinyin: _Automaton | None
    version: int
    pinyin_width: int = 0  # the longest pinyin key

    def scan(self, text: str, *, language: str | None = None) -> ScanResult:
        if not text or self.exact is None:
            return ScanResult(text)
        norm = normalize(text)
        if not self.exact.engine.find_matches_as_indexes(norm, overlapping=True):
            return ScanResult(text)  # the common case, kept as short as possible
        hits = self.exact.find(norm)
        pin_hits: list[tuple[int, int, tuple[int, ...], int]] = []
        if self.pinyin is not None and any(hit[3] & _CANDIDATE for hit in hits):
            pin_hits = self._homophones(norm, self.pinyin, hits)
        if not pin_hits and not any(hit[2] for hit in hits):
            return ScanResult(text)  # nothing, or only allow-phrases: the common case
        return self._resolve(text, norm, hits, pin_hits, language)

    def scan_many(
        self, texts: Sequence[str], *, languages: Sequence[str | None] | None = None
    ) -> list[ScanResult]:
        """``[self.scan(t, language=l) for t, l in zip(texts, languages)]``, batched.

        The texts are joined with ``batch.SEPARATOR`` (no rule key can match across it: keys
        neither hold U+FFFF nor start or end with whitespace), normalised as arrays
        (``batch.normalize_joined``) and run through the automaton in one call each. Only
        the few texts that need more are scanned one by one with ``scan``: those with a rule
        hit (for their spans), a homophone (pinyin) hit, or that the arrays could not
        normalise for sure. The results equal ``scan``'s (a Hypothesis test checks it)."""
        count = len(texts)
        langs: Sequence[str | None] = [None] * count if languages is None else languages
        if self.exact is None or count == 0:
            return [ScanResult(t) for t in texts]
        alone = self._needs_scan(texts)
        results = [ScanResult(t) for t in texts]
        for index in range(count) if alone is None else alone:
            results[index] = self.scan(texts[index], language=langs[index])
        return results

    def scan_many_matched(
        self, texts: Sequence[str], *, languages: Sequence[str | None] | None = None
    ) -> dict[int, ScanResult]:
        """The results of ``scan_many`` that have matches, by index: what the rescan needs
        (building a result for each of thousands of clean texts cost as much as scanning)."""
        count = len(texts)
        langs: Sequence[str | None] = [None] * count if languages is None else languages
        if self.exact is None or count == 0:
            return {}
        alone = self._needs_scan(texts)
        found = {}
        for index in range(count) if alone is None else alone:
            result = self.scan(texts[index], language=langs[index])
            if result.matches:
                found[index] = result
        return found

    def _needs_scan(self, texts: Sequence[str]) -> set[int] | None:
        """The indexes of the texts to scan one by one (None: every one)."""
        joined = batch.SEPARATOR.join(texts)
        if joined.count(batch.MARK) != len(texts) - 1:  # a text holds U+FFFF itself
            return None
        assert self.exact is not None
        norm, marks, unsure = batch.normalize_joined(joined)
        alone = set(bisect_many(marks, unsure)) if unsure else set()
        hits = self.exact.engine.find_matches_as_indexes(norm, overlapping=True)
        if hits:
            owners = bisect_many(marks, [start for _, start, _ in hits])
            candidates: dict[int, list[int]] = {}
            payloads = self.exact.payloads
            for (pattern, start, _end), owner in zip(hits, owners, strict=True):
                if owner in alone:
                    continue
                indexes, flags = payloads[pattern]
                if indexes:
                    alone.add(owner)
                elif flags & _CANDIDATE:
                    candidates.setdefault(owner, []).append(start)
            for owner, starts in candidates.items():
                if owner not in alone and self._sounds_like(norm, starts):
                    alone.add(owner)
        return alone

    def _sounds_like(self, norm: str, starts: list[int]) -> bool:
        """Whether a pinyin key matches at one of ``starts`` (``_homophones``' windows); more
        than four candidates: yes, let ``scan`` look at the whole text as it does."""
        if self.pinyin is None:
            return False
        if len(set(starts)) > 4:
            return True
        for offset in set(starts):
            window = pinyin_key(norm[offset : offset + self.pinyin_width])
            if any(start == 0 for start, *_ in self.pinyin.find(window)):
                return True
        return False

    def _homophones(
        self, norm: str, automaton: _Automaton, hits: list[tuple[int, int, tuple[int, ...], int]]
    ) -> list[tuple[int, int, tuple[int, ...], int]]:
        """Pinyin-key matches. The exact automaton also holds every pair of common characters
        that sounds like the first two syllables of a key ("candidates"), so only the places
        where one occurs are looked at, in a window as long as the longest key."""
        starts = sorted({hit[0] for hit in hits if hit[3] & _CANDIDATE})
        if len(starts) > 4:
            return automaton.find(pinyin_key(norm))
        found = []
        for offset in starts:
            window = pinyin_key(norm[offset : offset + self.pinyin_width])
            for start, end, indexes, allow in automaton.find(window):
                if start == 0:
                    found.append((offset, offset + end, indexes, allow))
        return found

    def _resolve(
        self,
        text: str,
        norm: str,
        hits: list[tuple[int, int, tuple[int, ...], int]],
        pin_hits: list[tuple[int, int, tuple[int, ...], int]],
        language: str | None,
    ) -> ScanResult:
        mapped, positions = normalize_with_map(text)
        if mapped != norm:  # cannot happen by construction; never highlight the wrong text
            positions = [min(i, len(text) - 1) for i in range(len(norm))]
        allowed = [(start, end) for start, end, _, flags in hits if flags & _ALLOW]
        found: dict[tuple[int, int, int], Match] = {}
        for source, via_pinyin in ((hits, False), (pin_hits, True)):
            for start, end, rule_indexes, _ in source:
                if any(a <= start and end <= b for a, b in allowed):
                    continue
                for index in rule_indexes:
                    rule = self.rules[index]
                    if not self._applies(rule, norm, start, end, language):
                        continue
                    key = (rule.id, start, end)
                    if key in found:  # the exact match wins over its own homophone
                        continue
                    action = rule.action
                    if via_pinyin and _RANK[action] > _RANK["hold"]:
                        action = "hold"
                    found[key] = Match(
                        rule_id=rule.id, term=rule.term, action=action, category=rule.category,
                        start=positions[start], end=positions[end - 1] + 1, via_pinyin=via_pinyin,
                    )  # fmt: skip
        return ScanResult(text, tuple(sorted(found.values(), key=lambda m: (m.start, m.end))))

    @staticmethod
    def _applies(rule: CompiledRule, norm: str, start: int, end: int, language: str | None) -> bool:
        if rule.languages and language:
            wanted = {"zh", "en"} if language == "mixed" else {language}
            if not rule.languages & wanted:
                return False
        if rule.latin_start and start > 0 and _is_word_char(norm[start - 1]):
            return False
        return not (
            rule.latin_end and not rule.prefix and end < len(norm) and _is_word_char(norm[end])
        )


_ALLOW = 1  # the key is an allow-phrase
_CANDIDATE = 2  # the key sounds like the start of a pinyin rule


def compile_rules(
    rules: list[dict[str, Any]], allow_phrases: list[str], version: int = 0
) -> Matcher:
    """Build a matcher from rule dicts (id, term, action, category, languages, pinyin)."""
    return _assemble(*_compile_parts(rules, allow_phrases), version)


_Parts = tuple[list[CompiledRule], dict[str, tuple[list[int], int]], dict[str, list[int]]]


def _compile_parts(rules: list[dict[str, Any]], allow_phrases: list[str]) -> _Parts:
    """The compiled rules and the keys of both automata (what ``_assemble`` builds from, and
    what the matcher cache file holds)."""
    compiled: list[CompiledRule] = []
    exact: dict[str, tuple[list[int], int]] = {}
    pinyin: dict[str, list[int]] = {}
    for row in rules:
        term = row["term"].strip()
        prefix = term.endswith("*") and len(term) > 1
        norm = normalize(term[:-1] if prefix else term).strip()
        if not norm or batch.MARK in norm or batch.UNSURE in norm:
            continue
        index = len(compiled)
        compiled.append(
            CompiledRule(
                id=row["id"], term=term, normalized=norm, action=row["action"],
                category=row["category"], languages=frozenset(row.get("languages") or ()),
                prefix=prefix, latin_start=_is_word_char(norm[0]),
                latin_end=_is_word_char(norm[-1]),
            )
        )  # fmt: skip
        indexes, flags = exact.get(norm, ([], 0))
        exact[norm] = ([*indexes, index], flags)
        if row.get("pinyin") and len(norm) >= 2 and all(is_han(c) for c in norm):
            pinyin.setdefault(pinyin_key(norm), []).append(index)
            for pair in homophone_pairs(norm):
                indexes, flags = exact.get(pair, ([], 0))
                exact[pair] = (indexes, flags | _CANDIDATE)
    for phrase in allow_phrases:
        norm = normalize(phrase).strip()
        if norm and batch.MARK not in norm and batch.UNSURE not in norm:
            indexes, flags = exact.get(norm, ([], 0))
            exact[norm] = (indexes, flags | _ALLOW)
    return compiled, exact, pinyin


def _assemble(
    compiled: list[CompiledRule],
    exact: dict[str, tuple[list[int], int]],
    pinyin: dict[str, list[int]],
    version: int,
) -> Matcher:
    return Matcher(
        compiled, _automaton(exact), _automaton({k: (v, 0) for k, v in pinyin.items()}),
        version, max(map(len, pinyin), default=0),
    )  # fmt: skip


# --- the matcher cache file ---------------------------------------------------------------
# Compiling 10,000 rules (normalising each term, the homophone pairs) costs ~1 s of CPU, in
# every web and worker process, again after each rule change: exactly when a rescan starts.
# The compiled parts are written once per rule set to DATA_DIR/cache, as JSON, named after a
# digest of the rules, the allow-phrases and the code that compiles them, and read by every
# other process (the automata themselves are rebuilt from their keys: ~0.05 s).
_CACHE_KEEP_SECONDS = 600  # older files of other rule sets are deleted when one is written


def _cache_path(rules: list[dict[str, Any]], phrases: list[str]) -> Path | None:
    from bridgenote.moderation.normalize import cache_file

    digest = hashlib.sha256(Path(__file__).read_bytes())
    digest.update(json.dumps([rules, phrases], sort_keys=True, default=list).encode())
    return cache_file(f"matcher-{digest.hexdigest()[:16]}", ".json")


def _parts_from_json(text: str) -> _Parts:
    saved = json.loads(text)
    compiled = [
        CompiledRule(
            id=r[0],
            term=r[1],
            normalized=r[2],
            action=r[3],
            category=r[4],
            languages=frozenset(r[5]),
            prefix=r[6],
            latin_start=r[7],
            latin_end=r[8],
        )
        for r in saved["rules"]
    ]
    exact = {key: (indexes, flags) for key, indexes, flags in saved["exact"]}
    pinyin = dict(saved["pinyin"])
    return compiled, exact, pinyin


def _parts_to_json(parts: _Parts) -> str:
    compiled, exact, pinyin = parts
    return json.dumps(
        {
            "rules": [[*astuple(r)[:5], sorted(r.languages), *astuple(r)[6:]] for r in compiled],
            "exact": [[key, indexes, flags] for key, (indexes, flags) in exact.items()],
            "pinyin": [[key, indexes] for key, indexes in pinyin.items()],
        },
        ensure_ascii=False,
    )


def compile_cached(rules: list[dict[str, Any]], phrases: list[str], version: int) -> Matcher:
    """``compile_rules``, through the cache file when one matches these rules exactly."""
    path = _cache_path(rules, phrases)
    if path is not None and path.exists():
        try:
            return _assemble(*_parts_from_json(path.read_text(encoding="utf-8")), version)
        except (OSError, ValueError, KeyError, TypeError, IndexError):
            pass  # a damaged file: compile again and overwrite it
    parts = _compile_parts(rules, phrases)
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            partial = path.with_suffix(f".{os.getpid()}.tmp")
            partial.write_text(_parts_to_json(parts), encoding="utf-8")
            os.replace(partial, path)  # atomic: a concurrent reader sees all or nothing
            now = time.time()
            for old in path.parent.glob("moderation-matcher-*.json"):
                if old != path and now - old.stat().st_mtime > _CACHE_KEEP_SECONDS:
                    old.unlink(missing_ok=True)
        except OSError:
            pass
    return _assemble(*parts, version)


def _automaton(words: dict[str, tuple[list[int], int]]) -> _Automaton | None:
    if not words:
        return None
    keys = list(words)
    return _Automaton(
        ahocorasick_rs.AhoCorasick(keys),
        [(tuple(words[k][0]), words[k][1]) for k in keys],
    )


# --- the per-process matcher --------------------------------------------------------------
_lock = threading.Lock()
_state: dict[str, Any] = {"matcher": None, "checked": 0.0, "images": None}


def current_version() -> int:
    from bridgenote.moderation.models import RuleSetVersion

    row = RuleSetVersion.objects.filter(pk=1).values_list("version", flat=True).first()
    return int(row or 0)


def _load_matcher(version: int) -> Matcher:
    from bridgenote.moderation.models import AllowPhrase, KeywordRule

    rules: list[dict[str, Any]] = [
        dict(row)
        for row in KeywordRule.objects.filter(enabled=True)
        .order_by("id")
        .values("id", "term", "action", "category", "languages", "pinyin")
    ]
    phrases = list(
        AllowPhrase.objects.filter(enabled=True).order_by("phrase").values_list("phrase", flat=True)
    )
    return compile_cached(rules, phrases, version)


def get_matcher() -> Matcher:
    """The process's matcher, rebuilt if the rule set's version moved on."""
    now = time.monotonic()
    matcher: Matcher | None = _state["matcher"]
    interval = settings.MODERATION_RULES_CHECK_SECONDS
    if matcher is not None and now - _state["checked"] < interval:
        return matcher
    version = current_version()
    with _lock:
        matcher = _state["matcher"]
        if matcher is None or matcher.version != version:
            matcher = _load_matcher(version)
            _state["matcher"] = matcher
            _state["images"] = None
        _state["checked"] = now
    return matcher


def forget_matcher() -> None:
    """Drop this process's compiled rules (the next scan rebuilds them)."""
    with _lock:
        _state["matcher"] = None
        _state["images"] = None
        _state["checked"] = 0.0


def scan_text(text: str, *, language: str | None = None) -> ScanResult:
    """Every enabled rule matching ``text``, with spans in ``text`` itself. Never raises on
    any string."""
    return get_matcher().scan(text, language=language)


def scan_texts(
    texts: Sequence[str], *, languages: Sequence[str | None] | None = None
) -> list[ScanResult]:
    """``scan_text`` over many texts at once (the rescan job): the same results, batched."""
    return get_matcher().scan_many(texts, languages=languages)


def scan_texts_matched(
    texts: Sequence[str], *, languages: Sequence[str | None] | None = None
) -> dict[int, ScanResult]:
    """``scan_texts``' results that have matches, by index (the rescan job)."""
    return get_matcher().scan_many_matched(texts, languages=languages)


def mask(text: str, results: ScanResult | list[ScanResult] | Decision) -> str:
    """``text`` with every "mask" match replaced by ``*`` (whitespace inside is kept)."""
    if isinstance(results, ScanResult):
        matches: tuple[Match, ...] = results.matches
    elif isinstance(results, Decision):
        matches = results.matches
    else:
        matches = tuple(m for r in results for m in r.matches)
    hidden = [False] * len(text)
    for m in matches:
        if m.action == "mask" and not m.via_pinyin:
            for i in range(max(m.start, 0), min(m.end, len(text))):
                hidden[i] = True
    if not any(hidden):
        return text
    return "".join("*" if h and not c.isspace() else c for c, h in zip(text, hidden, strict=True))


# --- images -------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ImageMatch:
    rule_id: int
    action: str
    category: str
    distance: int


def _image_rules() -> list[tuple[int, int, int, str, str, int]]:
    get_matcher()  # refreshes the version and drops stale image rules
    images = _state["images"]
    if images is None:
        from bridgenote.moderation.models import ImageRule

        images = []
        for rule in ImageRule.objects.filter(enabled=True):
            try:
                value = int(rule.phash, 16)
            except ValueError:
                continue
            images.append(
                (rule.id, value, len(rule.phash), rule.action, rule.category, rule.max_distance)
            )
        _state["images"] = images
    return list(images)


def scan_image_hash(phash: str) -> list[ImageMatch]:
    """Image rules within their Hamming distance of ``phash`` (hex), nearest first."""
    try:
        value = int(phash, 16)
    except (TypeError, ValueError):
        return []
    found = []
    for rule_id, rule_value, length, action, category, max_distance in _image_rules():
        if length != len(phash):
            continue  # hashes of different sizes are not comparable
        distance = (value ^ rule_value).bit_count()
        if distance <= max_distance:
            found.append(ImageMatch(rule_id, action, category, distance))
    return sorted(found, key=lambda m: m.distance)


def decide_image(matches: list[ImageMatch]) -> str:
    return max((m.action for m in matches), key=_RANK.__getitem__, default="allow")
