"""German first, English available: every msgid (German, the source language) of every
catalogue template has an English translation with the same placeholders, the templates
follow the sources, the compiled catalogues follow the .po files, and pages really switch.

Fixing a failure: ``make i18n-extract`` (extract + update), translate the new msgids in
translations/en/LC_MESSAGES/messages.po, then ``make translations`` (compile).
"""

from __future__ import annotations

import os
import re
import shlex
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.frontend import CommandLineInterface
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from flask.testing import FlaskClient

from tests.helpers import Portal

ROOT = Path(__file__).resolve().parents[2]
MAKEFILE = ROOT / "Makefile"
SKIPPED_DIRS = {"var", "node_modules", "__pycache__"}  # and every .dir (.venv, .git, …)
REQUIRED_LANGUAGES = ("en",)
# a printf-style conversion, or a lone "%" (which breaks ``text % values`` at run time)
PLACEHOLDER = re.compile(
    r"%(?:\((?P<name>[^)]*)\))?[#0 +-]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?"
    r"(?P<kind>[diouxXeEfFgGcrsa%])|%"
)


# --- the checks, as functions (tested below on made-up catalogues) -------------------------


def placeholders(text: str) -> tuple[frozenset[str], tuple[str, ...]]:
    """Named placeholders (any order, any repetition) and positional ones (in order);
    a stray "%" counts as a positional one of its own."""
    named: set[str] = set()
    positional: list[str] = []
    for match in PLACEHOLDER.finditer(text):
        if match.group("kind") == "%":
            continue
        if match.group("kind") is None:
            positional.append("% (stray)")
        elif match.group("name") is not None:
            named.add(match.group(0))
        else:
            positional.append(match.group(0))
    return frozenset(named), tuple(positional)


def _ids(message: Message) -> tuple[str, ...]:
    return tuple(message.id) if isinstance(message.id, (list, tuple)) else (message.id,)


def _forms(message: Message) -> tuple[str, ...]:
    if isinstance(message.string, (list, tuple)):
        return tuple(message.string)
    return (message.string or "",)


def translation_problems(template: Catalog, translated: Catalog) -> list[str]:
    """Every msgid of ``template`` translated (not fuzzy, all plural forms, the same
    placeholders) and nothing in ``translated`` that the template no longer has."""
    problems: list[str] = []
    wanted = {(m.id if isinstance(m.id, str) else m.id[0], m.context) for m in template if m.id}
    for key in sorted(wanted, key=str):
        message = translated.get(*key)
        if message is None:
            problems.append(f"not in the catalogue: {key[0]!r}")
            continue
        problems.extend(_message_problems(message, translated.num_plurals))
    for message in translated:
        key = (message.id if isinstance(message.id, str) else message.id[0], message.context)
        if message.id and key not in wanted:
            problems.append(f"no longer in the template: {key[0]!r}")
    return problems


def _message_problems(message: Message, num_plurals: int) -> list[str]:
    ids, forms = _ids(message), _forms(message)
    label = repr(ids[0])
    if message.fuzzy:
        return [f"fuzzy: {label}"]
    if message.pluralizable and len(forms) != num_plurals:
        return [f"{len(forms)} plural forms instead of {num_plurals}: {label}"]
    problems: list[str] = []
    for index, form in enumerate(forms):
        source = ids[min(index, len(ids) - 1)]
        if not form.strip():
            problems.append(f"untranslated: {label}")
        elif placeholders(form) != placeholders(source):
            problems.append(f"placeholders differ: {label} -> {form!r}")
    return problems


@dataclass(frozen=True)
class Extraction:
    """One ``pybabel extract`` of the Makefile: its arguments and the template it writes."""

    template: Path
    arguments: tuple[str, ...]

    def run_into(self, output: Path) -> Catalog:
        args = list(self.arguments)
        args[args.index("-o") + 1] = str(output)
        CommandLineInterface().run(["pybabel", *args])  # type: ignore[no-untyped-call]
        with output.open("rb") as handle:
            return read_po(handle)


def makefile_extractions() -> list[Extraction]:
    """The ``pybabel extract`` commands of the Makefile, exactly as ``make i18n-extract``
    runs them (so this test cannot drift from the real extraction)."""
    found: list[Extraction] = []
    for line in MAKEFILE.read_text(encoding="utf-8").splitlines():
        if "pybabel extract" not in line:
            continue
        words = shlex.split(line)
        if words[0].endswith("pybabel") and words[1] == "extract":
            found.append(Extraction(ROOT / words[words.index("-o") + 1], tuple(words[1:])))
    return found


def catalogue_templates() -> list[Path]:
    """Every .pot in the repository (virtualenv, var/ and caches left out)."""
    templates: list[Path] = []
    for folder, dirs, files in os.walk(ROOT):
        dirs[:] = [d for d in dirs if d not in SKIPPED_DIRS and not d.startswith(".")]
        templates.extend(Path(folder) / name for name in files if name.endswith(".pot"))
    return sorted(templates)


def translation_of(template: Path, language: str) -> Path:
    return template.parent / language / "LC_MESSAGES" / f"{template.stem}.po"


def load(path: Path, language: str | None = None) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle, locale=language)


def msgids(catalogue: Catalog) -> set[str]:
    return {m.id if isinstance(m.id, str) else m.id[0] for m in catalogue if m.id}


TEMPLATES = catalogue_templates()
PAIRS = [(t, lang) for t in TEMPLATES for lang in REQUIRED_LANGUAGES]


def _pair_id(pair: tuple[Path, str]) -> str:
    return f"{pair[0].relative_to(ROOT)}:{pair[1]}"


# --- the committed catalogues ------------------------------------------------------------


def test_there_is_a_catalogue_and_every_one_is_extracted_by_the_makefile() -> None:
    assert TEMPLATES, "no catalogue template (.pot) found"
    extracted = {e.template for e in makefile_extractions()}
    assert set(TEMPLATES) == extracted, "each .pot needs its `pybabel extract` in the Makefile"


@pytest.mark.parametrize("pair", PAIRS, ids=_pair_id)
def test_every_msgid_is_translated_with_the_same_placeholders(pair: tuple[Path, str]) -> None:
    template, language = pair
    po = translation_of(template, language)
    assert po.exists(), f"{po.relative_to(ROOT)} is missing (pybabel init -l {language})"
    problems = translation_problems(load(template), load(po, language))
    assert not problems, f"{po.relative_to(ROOT)}:\n  " + "\n  ".join(problems)


@pytest.mark.parametrize("extraction", makefile_extractions(), ids=lambda e: e.template.name)
def test_the_template_is_in_sync_with_the_sources(
    extraction: Extraction, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    fresh = msgids(extraction.run_into(tmp_path / "fresh.pot"))
    committed = msgids(load(extraction.template))
    assert len(fresh) > 100, "the extraction found (almost) nothing: wrong paths?"
    new, gone = sorted(fresh - committed), sorted(committed - fresh)
    assert not new and not gone, (
        f"{extraction.template.relative_to(ROOT)} is out of date; run `make i18n-extract`.\n"
        f"  new in the sources: {new}\n  no longer in the sources: {gone}"
    )


@pytest.mark.parametrize("pair", PAIRS, ids=_pair_id)
def test_the_compiled_catalogue_is_the_current_one(pair: tuple[Path, str]) -> None:
    po = translation_of(*pair)
    mo = po.with_suffix(".mo")
    assert mo.exists(), f"{mo.relative_to(ROOT)} is missing: run `make translations`"
    with mo.open("rb") as handle:
        compiled = {m.id: m.string for m in read_mo(handle) if m.id}
    source = {m.id: m.string for m in load(po, pair[1]) if m.id and not m.fuzzy}
    assert compiled == source, f"{mo.relative_to(ROOT)} is stale: run `make translations`"


# --- the checks themselves ----------------------------------------------------------------


def _catalogue(*messages: Message, language: str | None = None) -> Catalog:
    catalogue = Catalog(locale=language)
    for message in messages:
        catalogue[message.id] = message
    return catalogue


def test_the_check_accepts_a_complete_catalogue() -> None:
    template = _catalogue(Message("Hallo %(name)s"), Message(("%(n)d Hund", "%(n)d Hunde")))
    done = _catalogue(
        Message("Hallo %(name)s", "Hello %(name)s"),
        Message(("%(n)d Hund", "%(n)d Hunde"), ("%(n)d dog", "%(n)d dogs")),
        language="en",
    )
    assert translation_problems(template, done) == []


@pytest.mark.parametrize(
    ("message", "problem"),
    [
        (Message("Hallo %(name)s", ""), "untranslated"),
        (Message("Hallo %(name)s", "  "), "untranslated"),
        (Message("Hallo %(name)s", "Hello %(name)s", flags=["fuzzy"]), "fuzzy"),
        (Message("Hallo %(name)s", "Hello"), "placeholders differ"),
        (Message("Hallo %(name)s", "Hello %(nom)s"), "placeholders differ"),
        (Message("Hallo %(name)s", "Hello %(name)d"), "placeholders differ"),
        (Message("Hallo %(name)s", "100% Hello %(name)s"), "placeholders differ"),
    ],
)
def test_the_check_finds_each_kind_of_problem(message: Message, problem: str) -> None:
    template = _catalogue(Message("Hallo %(name)s"))
    problems = translation_problems(template, _catalogue(message, language="en"))
    assert len(problems) == 1 and problems[0].startswith(problem), problems


def test_the_check_finds_missing_stale_and_incomplete_plural_entries() -> None:
    template = _catalogue(Message("Neu"), Message(("%(n)d Hund", "%(n)d Hunde")))
    translated = _catalogue(
        Message("Alt", "Old"),
        Message(("%(n)d Hund", "%(n)d Hunde"), ("%(n)d dog",)),
        language="en",
    )
    problems = translation_problems(template, translated)
    assert sorted(p.split(":")[0] for p in problems) == [
        "1 plural forms instead of 2",
        "no longer in the template",
        "not in the catalogue",
    ]
    wrong_form = _catalogue(
        Message(("%(n)d Hund", "%(n)d Hunde"), ("%(n)d dog", "dogs")), language="en"
    )
    assert translation_problems(_catalogue(Message(("%(n)d Hund", "%(n)d Hunde"))), wrong_form)


def test_placeholders_ignore_literal_percent_signs_and_order_of_named_ones() -> None:
    assert placeholders("%(a)s und %(b)d, 100 %%") == placeholders("%(b)d and %(a)s, 100 %%")
    assert placeholders("%s von %s") == (frozenset(), ("%s", "%s"))
    assert placeholders("%(a)s") != placeholders("%(a)r")


# --- pages really switch -------------------------------------------------------------------


class _Texts(HTMLParser):
    """The text nodes and the user-facing attribute values of a page, stripped."""

    def __init__(self) -> None:
        super().__init__()
        self.texts: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("aria-label", "title", "placeholder", "alt") and value:
                self.texts.add(value.strip())

    def handle_data(self, data: str) -> None:
        if data.strip():
            self.texts.add(" ".join(data.split()))


def page_texts(html: str) -> set[str]:
    parser = _Texts()
    parser.feed(html)
    return parser.texts


def english() -> dict[str, str]:
    catalogue = load(ROOT / "translations/en/LC_MESSAGES/messages.po", "en")
    return {m.id: str(m.string) for m in catalogue if isinstance(m.id, str) and m.id}


def assert_fully_switched(german_html: str, english_html: str) -> None:
    """Every catalogue text the German page shows appears translated on the English page,
    and no German catalogue text is left there."""
    to_english = english()
    german, shown = page_texts(german_html), page_texts(english_html)
    expected = {to_english[t] for t in german if t in to_english}
    assert len(expected) >= 5, "the German page shows (almost) no catalogue texts"
    assert expected <= shown, f"not shown in English: {sorted(expected - shown)}"
    left = {t for t in shown if t in to_english and to_english[t] != t}
    assert not left, f"German left on the English page: {sorted(left)}"


def test_the_login_page_is_german_by_default_and_english_with_lang_en(portal: Portal) -> None:
    german = portal.new_browser().get("/anmelden")
    english_page = portal.new_browser().get("/anmelden?lang=en")
    assert german.status_code == english_page.status_code == 200
    assert '<html lang="de">' in german.text and '<html lang="en">' in english_page.text
    for text in ("Anmelden", "E-Mail-Adresse", "Passwort vergessen?", "Noch kein Bürgerkonto?"):
        assert text in german.text and text not in english_page.text
    for text in ("Log in", "Email address", "Forgot your password?", "(citizen account)"):
        assert text in english_page.text and text not in german.text
    assert_fully_switched(german.text, english_page.text)


@pytest.fixture
def service_client(tmp_path: Path) -> FlaskClient:
    """The Sperrmüll service app (it reads the same catalogues as the hub)."""
    from services import sperrmuell
    from services.kit import create_service_app
    from services.kit.config import ServiceConfig

    fees = tmp_path / "fees.toml"
    fees.write_text("[sperrmuell]\nfrei_pro_jahr = 2\ngebuehr_je_weitere = 3500\n")
    config = ServiceConfig(
        base_url="http://127.0.0.1:9",
        hub_url="http://127.0.0.1:8",
        database_url=f"sqlite:///{tmp_path / 'service.db'}",
        var_dir=tmp_path,
        secret_key="k" * 40,
        fees_file=fees,
    )
    return create_service_app(sperrmuell.SERVICE, config).test_client()


def test_a_service_app_speaks_the_browsers_language(service_client: FlaskClient) -> None:
    german = service_client.get("/", headers={"Accept-Language": "de-DE,de;q=0.9"})
    english_page = service_client.get("/", headers={"Accept-Language": "en-GB,en;q=0.9"})
    fallback = service_client.get("/", headers={"Accept-Language": "fr"})
    assert "Sperrmüllabholung" in german.text and "Mit dem Bürgerkonto anmelden" in german.text
    assert "Sperrmüll collection" in english_page.text and "(bulky waste)" in english_page.text
    assert fallback.text == german.text
    assert_fully_switched(german.text, english_page.text)
