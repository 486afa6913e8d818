"""The Chinese catalog (canteen/translations/zh_Hans_CN): complete, placeholder-safe, compiled, and in step
with the code.

`scripts/i18n` extracts, merges and compiles; translators fill in the msgstr. These tests catch a string added
to the code without `scripts/i18n` being re-run, an untranslated or placeholder-breaking translation, and a
stale .mo.
"""

from __future__ import annotations

import re
from io import BytesIO
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[1]
LC_MESSAGES = ROOT / "canteen" / "translations" / "zh_Hans_CN" / "LC_MESSAGES"
PO = LC_MESSAGES / "messages.po"
MO = LC_MESSAGES / "messages.mo"
# The same keywords as scripts/i18n (-k _l -k lazy_gettext on top of babel's defaults).
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}
NAMED_PLACEHOLDER = re.compile(r"%\((\w+)\)[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrs]")


def _as_tuple(value: str | tuple | list) -> tuple:
    return tuple(value) if isinstance(value, (tuple, list)) else (value,)


def _msgid(message) -> str:
    return _as_tuple(message.id)[0]


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    with PO.open("rb") as handle:
        return read_po(handle, locale="zh_Hans_CN")


@pytest.fixture(scope="module")
def messages(catalog: Catalog) -> list:
    return [message for message in catalog if message.id]


def test_every_msgid_has_a_chinese_translation(messages: list) -> None:
    assert messages, "the catalog is empty"
    untranslated = [_msgid(m) for m in messages if not all(s.strip() for s in _as_tuple(m.string))]
    fuzzy = [_msgid(m) for m in messages if m.fuzzy]
    not_chinese = [_msgid(m) for m in messages
                   if all(s.strip() for s in _as_tuple(m.string)) and _as_tuple(m.string) == _as_tuple(m.id)
                   and re.search(r"[A-Za-z]{3}", _msgid(m)) and _msgid(m) not in {"API", "Excel"}]
    assert not untranslated, f"{len(untranslated)} untranslated msgid(s), e.g. {untranslated[:10]}"
    assert not fuzzy, f"fuzzy translations are not used by the app: {fuzzy[:10]}"
    assert not not_chinese, f"msgstr copied from the English msgid: {not_chinese[:10]}"


def test_translations_keep_the_named_placeholders(messages: list) -> None:
    broken = []
    for message in messages:
        expected = set()
        for msgid in _as_tuple(message.id):
            expected |= set(NAMED_PLACEHOLDER.findall(msgid))
        for msgstr in _as_tuple(message.string):
            found = set(NAMED_PLACEHOLDER.findall(msgstr))
            if msgstr and found != expected:
                broken.append((_msgid(message), sorted(expected), sorted(found)))
    assert not broken, "placeholders differ (msgid, expected, found): " + "; ".join(map(str, broken[:10]))


def test_committed_mo_matches_the_po(catalog: Catalog) -> None:
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    with MO.open("rb") as handle:
        committed = read_mo(handle)
    fresh = read_mo(compiled)

    def as_dict(cat: Catalog) -> dict:
        return {(m.context, _as_tuple(m.id)): _as_tuple(m.string) for m in cat if m.id}

    expected, actual = as_dict(fresh), as_dict(committed)
    missing = sorted(k[1][0] for k in expected.keys() - actual.keys())
    extra = sorted(k[1][0] for k in actual.keys() - expected.keys())
    changed = sorted(k[1][0] for k in expected.keys() & actual.keys() if expected[k] != actual[k])
    assert not (missing or extra or changed), (
        f"messages.mo is stale; run scripts/i18n. Missing from .mo: {missing[:5]}; "
        f"only in .mo: {extra[:5]}; different: {changed[:5]}")


def test_catalog_has_every_string_in_the_code(catalog: Catalog) -> None:
    with (ROOT / "babel.cfg").open(encoding="utf-8") as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    extracted: dict[str, str] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=KEYWORDS):
        msgid = _as_tuple(message)[0]
        if msgid:
            extracted.setdefault(msgid, f"{filename}:{lineno}")
    assert len(extracted) > 100, "extraction found almost nothing; is babel.cfg right?"
    known = {_msgid(m) for m in catalog if m.id}
    missing = sorted((where, msgid) for msgid, where in extracted.items() if msgid not in known)
    assert not missing, (f"{len(missing)} string(s) in the code are not in messages.po (run scripts/i18n and "
                         f"translate them): "
                         + "; ".join(f"{where} {msgid!r}" for where, msgid in missing[:10]))
