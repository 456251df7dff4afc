"""The citizen answers a Rückfrage (Sperrmüll over SAML, level low, real HTTP between the hub
and the service): the clerk asks, the citizen reads the question on the application's page at
the service and answers once, the application is "in Bearbeitung" again, the clerk reads the
answer in the back office, and "Meine Anträge" at the hub shows it and links to the service's
page (through the service's login back to that page). Negatives: another citizen, no login, no
CSRF token, a wrong state, an empty or too long answer, a second post, a stale question."""

from __future__ import annotations

import html
import re
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path

import pytest
import requests

from core.store.base import KeyValueStore
from services import sperrmuell
from tests.flows.services.steps import (
    CLERK_PASSWORD,
    clerk_application_url,
    clerk_changes,
    hub_timeline,
    log_in,
    reference_of,
)
from tests.flows.services.world import CSRF_RE, HttpBrowser, ServiceHandle, World, world

pytestmark = pytest.mark.storage
EMAIL, PASSWORD = "erika@example.org", "Ein langer Satz als Passwort"
OTHER = "max@example.org"
PROFILE = {
    "given_names": ("Erika", "eid"),
    "family_names": ("Mustermann", "eid"),
    "street_address": ("Heidestraße 17", "eid"),
    "postal_code": ("51147", "eid"),
    "locality": ("Köln", "eid"),
    "phone": ("0221 123456", "self"),
}
QUESTION = "Passt das Sofa durch die Haustür?"
ANSWER = "Ja, die Tür ist 1,10 m breit – das Sofa steht schon im Flur."
PAGE_RE = re.compile(r'href="(/antrag/[0-9a-f-]{36})"')


@pytest.fixture
def town(backend: str, database_url: str, store: KeyValueStore, tmp_path: Path) -> Iterator[World]:
    with world(backend, database_url, store, tmp_path, {"sperrmuell": sperrmuell.SERVICE}) as w:
        w.citizen(EMAIL, PASSWORD, PROFILE)
        w.citizen(OTHER, PASSWORD, PROFILE)
        yield w


def _submitted(svc: ServiceHandle, citizen: HttpBrowser) -> tuple[str, str]:
    """A new application of the logged-in citizen: (reference, its page's URL)."""
    form = citizen.go(svc.page("/antrag"))
    review = citizen.submit(
        form,
        telefon="0221 654321",
        gegenstaende="1 Sofa",
        volumen="2",
        wunschtermin=(date.today() + timedelta(days=10)).isoformat(),
        stellplatz="gehweg",
    )
    receipt = citizen.submit(review)
    match = PAGE_RE.search(receipt.text)
    assert match, receipt.text[:2000]
    return reference_of(receipt), svc.url + match.group(1)


def _clerk(svc: ServiceHandle, reference: str) -> tuple[HttpBrowser, str]:
    clerk = HttpBrowser()
    listing = log_in(
        clerk, svc, "sachbearbeitung.sperrmuell@example.org", CLERK_PASSWORD, path="/verwaltung"
    )
    return clerk, clerk_application_url(listing, reference)


def _answer(citizen: HttpBrowser, page: requests.Response, text: str) -> requests.Response:
    """Post the page's answer form as a browser would (the hidden question id included)."""
    return citizen.submit(page, page.url + "/antwort", antwort=text, frage=_question_id(page))


def _state(page: requests.Response) -> str:
    match = re.search(r'<strong class="state">([^<]+)</strong>', page.text)
    assert match, page.text[:1000]
    return html.unescape(match.group(1))


def test_clerk_asks_citizen_answers_clerk_continues(town: World) -> None:
    svc = town.service("sperrmuell")
    citizen = HttpBrowser()
    log_in(citizen, svc, EMAIL, PASSWORD)
    reference, page_url = _submitted(svc, citizen)
    clerk, detail = _clerk(svc, reference)
    assert clerk_changes(clerk, svc, detail, "in_bearbeitung").status_code == 200
    # no question yet: no answer form
    page = citizen.go(page_url)
    assert page.status_code == 200 and 'name="antwort"' not in page.text
    assert clerk_changes(clerk, svc, detail, "rueckfrage", QUESTION).status_code == 200

    page = citizen.go(page_url)
    assert _state(page) == "Rückfrage" and QUESTION in page.text and 'name="antwort"' in page.text
    assert "Ihre Antwort wird erwartet" in citizen.go(svc.page("/meine-antraege")).text
    empty = _answer(citizen, page, "   ")
    assert empty.status_code == 400 and "Bitte schreiben Sie Ihre Antwort." in empty.text
    long = _answer(citizen, page, "x" * 2001)
    assert long.status_code == 400 and "höchstens 2000 Zeichen" in long.text
    assert _state(citizen.go(page_url)) == "Rückfrage"  # nothing changed

    answered = _answer(citizen, page, ANSWER)
    assert answered.status_code == 200 and answered.url == page_url
    assert "Ihre Antwort ist eingegangen" in answered.text
    assert _state(answered) == "In Bearbeitung" and 'name="antwort"' not in answered.text
    assert html.escape(ANSWER) in answered.text
    again = _answer(citizen, page, "Noch etwas")  # the old form, posted again
    assert again.status_code == 409 and "nicht mehr offen" in again.text
    assert "Noch etwas" not in citizen.go(page_url).text

    back_office = clerk.go(detail)
    assert "Antwort der Antragstellerin oder des Antragstellers" in back_office.text
    assert html.escape(ANSWER) in back_office.text
    assert _state(back_office) == "In Bearbeitung"
    assert clerk_changes(clerk, svc, detail, "abgeschlossen").status_code == 200

    timeline = hub_timeline(town, citizen)
    section = timeline[timeline.index(reference) :]
    assert "Ihre Antwort" in section and html.escape(ANSWER) in section
    assert section.index("Abgeschlossen") < section.index("Ihre Antwort") < section.index(QUESTION)
    notices = [m.body for m in town.mails_to(EMAIL) if reference in m.subject]
    assert len(notices) == 5  # received, in progress, query, answer, completed
    arrived = "Ihre Antwort auf die Rückfrage ist beim Dienst eingegangen."
    assert sum(arrived in b for b in notices) == 1
    assert not any(ANSWER in b for b in notices)  # the citizen's words are not sent by mail


def test_answers_refused_without_changing_anything(town: World) -> None:
    svc = town.service("sperrmuell")
    citizen = HttpBrowser()
    log_in(citizen, svc, EMAIL, PASSWORD)
    reference, page_url = _submitted(svc, citizen)
    page = citizen.go(page_url)
    token = CSRF_RE.search(page.text)
    assert token
    # wrong state: eingegangen, nothing asked
    wrong = citizen.post(page_url + "/antwort", {"csrf_token": token.group(1), "antwort": "x"})
    assert wrong.status_code == 409 and "nicht mehr offen" in wrong.text
    clerk, detail = _clerk(svc, reference)
    clerk_changes(clerk, svc, detail, "in_bearbeitung")
    clerk_changes(clerk, svc, detail, "rueckfrage", "Erste Frage?")
    first = citizen.go(page_url)
    # the clerk withdraws the question and asks another: the first form is stale
    clerk_changes(clerk, svc, detail, "in_bearbeitung")
    clerk_changes(clerk, svc, detail, "rueckfrage", "Zweite Frage?")
    stale = _answer(citizen, first, "Antwort auf die erste Frage")
    assert stale.status_code == 409 and _state(stale) == "Rückfrage"
    page = citizen.go(page_url)
    fields = {"csrf_token": token.group(1), "antwort": "ohne Frage"}
    # no CSRF token, no question id
    no_csrf = citizen.post(page_url + "/antwort", {"antwort": "x", "frage": "1"})
    assert no_csrf.status_code == 400
    assert citizen.post(page_url + "/antwort", fields).status_code == 409
    # another citizen, logged in at the same service: as if it did not exist
    other = HttpBrowser()
    log_in(other, svc, OTHER, PASSWORD)
    assert other.go(page_url).status_code == 404
    own_token = CSRF_RE.search(other.go(svc.page("/antrag")).text)
    assert own_token
    stolen = other.post(
        page_url + "/antwort",
        {"csrf_token": own_token.group(1), "antwort": "fremd", "frage": _question_id(page)},
    )
    assert stolen.status_code == 404
    # nobody logged in: no page, no answer
    stranger = HttpBrowser()
    assert stranger.post(page_url + "/antwort", {"antwort": "x"}).status_code in (400, 401)
    assert citizen.go(svc.page("/antrag/" + "x" * 80)).status_code == 404
    after = citizen.go(page_url)
    assert _state(after) == "Rückfrage" and "Zweite Frage?" in after.text
    for text in ("erste Frage", "ohne Frage", "fremd"):
        assert text not in after.text
    assert "Antwort der Antragstellerin" not in clerk.go(detail).text


def _question_id(page: requests.Response) -> str:
    match = re.search(r'name="frage" value="(\d+)"', page.text)
    assert match, page.text[:1000]
    return match.group(1)


def test_meine_antraege_links_to_the_service_page_through_its_login(town: World) -> None:
    svc = town.service("sperrmuell")
    citizen = HttpBrowser()
    log_in(citizen, svc, EMAIL, PASSWORD)
    reference, page_url = _submitted(svc, citizen)
    clerk, detail = _clerk(svc, reference)
    clerk_changes(clerk, svc, detail, "in_bearbeitung")
    clerk_changes(clerk, svc, detail, "rueckfrage", QUESTION)
    # a second device: logged in at the hub only
    phone = HttpBrowser()
    hub_page = phone.go(town.hub_url + "/konto/antraege")
    hub_page = phone.hub_login(hub_page, EMAIL, PASSWORD)
    assert reference in hub_page.text and "Rückfrage beim Dienst beantworten" in hub_page.text
    assert f'href="{page_url}"' in hub_page.text
    page = phone.go(page_url)  # service login (SSO at the hub), then back to this page
    if 'id="saml-post"' in page.text:
        page = phone.post_saml_form(page)
    assert page.url == page_url and QUESTION in page.text
    answered = _answer(phone, page, ANSWER)
    assert _state(answered) == "In Bearbeitung"
    assert "Antrag beim Dienst ansehen" in hub_timeline(town, phone)


def test_concurrent_posts_of_one_answer_record_it_once(town: World) -> None:
    svc = town.service("sperrmuell")
    citizen = HttpBrowser()
    log_in(citizen, svc, EMAIL, PASSWORD)
    reference, page_url = _submitted(svc, citizen)
    clerk, detail = _clerk(svc, reference)
    clerk_changes(clerk, svc, detail, "in_bearbeitung")
    clerk_changes(clerk, svc, detail, "rueckfrage", QUESTION)
    page = citizen.go(page_url)
    token = CSRF_RE.search(page.text)
    assert token
    form = {"csrf_token": token.group(1), "frage": _question_id(page), "antwort": ANSWER}
    start = threading.Barrier(6)

    def post(_: int) -> int:
        start.wait()
        answer = citizen.session.post(page_url + "/antwort", data=form, allow_redirects=False)
        return answer.status_code

    with ThreadPoolExecutor(6) as pool:
        codes = sorted(pool.map(post, range(6)))
    assert codes == [303, 409, 409, 409, 409, 409], codes
    assert clerk.go(detail).text.count(html.escape(ANSWER)) == 1


def test_an_answer_can_bring_a_document_for_the_clerk_only(town: World) -> None:
    svc = town.service("sperrmuell")
    citizen = HttpBrowser()
    log_in(citizen, svc, EMAIL, PASSWORD)
    reference, page_url = _submitted(svc, citizen)
    clerk, detail = _clerk(svc, reference)
    clerk_changes(clerk, svc, detail, "in_bearbeitung")
    clerk_changes(clerk, svc, detail, "rueckfrage", "Bitte ein Foto des Sofas.")
    page = citizen.go(page_url)
    assert 'enctype="multipart/form-data"' in page.text and 'name="anlage"' in page.text
    question = _question_id(page)
    fake = citizen.submit_files(
        page,
        {"anlage": ("sofa.png", b"<svg onload=alert(1)>", "image/png")},
        page_url + "/antwort",
        antwort="Hier das Foto.",
        frage=question,
    )
    assert fake.status_code == 400 and "diese Datei ist keins davon" in fake.text
    assert _state(citizen.go(page_url)) == "Rückfrage"  # nothing recorded
    photo = b"\xff\xd8\xff\xe0" + b"\x00" * 200 + b"\xff\xd9"
    answered = citizen.submit_files(
        page,
        {"anlage": ("Sofa im Flur.jpeg", photo, "image/jpeg")},
        page_url + "/antwort",
        antwort="Hier das Foto.",
        frage=question,
    )
    assert _state(answered) == "In Bearbeitung"
    assert "Sofa im Flur.jpg, 1 KB" in answered.text and "/anlage/" not in answered.text
    back_office = clerk.go(detail)
    link = re.search(
        r'<a class="download" href="([^"]+)">Sofa im Flur.jpg herunterladen', back_office.text
    )
    assert link, back_office.text[:3000]
    url = svc.url + html.unescape(link.group(1))
    download = clerk.go(url)
    assert download.content == photo and download.headers["Content-Type"] == "image/jpeg"
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert citizen.go(url).content != photo
