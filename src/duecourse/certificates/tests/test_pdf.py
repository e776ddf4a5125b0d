"""The certificate PDF, opened with pypdf: holder (any script), items, number, dates, the verification
URL as text and as a QR code whose modules are exactly those of that URL's code."""

import datetime as dt
import io
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont
from fpdf.fonts import TTFFont
from PIL import Image
from pypdf import PdfReader

from duecourse.certificates.files import verification_url
from duecourse.certificates.models import Certificate, TenantLogo
from duecourse.certificates.pdf import FONT_DIR, FONT_FILES, render_certificate
from duecourse.certificates.services import PdfUnavailable, certificate_pdf
from duecourse.certificates.tests.conftest import START, complete, item, make_config
from duecourse.testing.pdfs import pdf_text, qr_matches

pytestmark = pytest.mark.django_db
DAY = dt.timedelta(days=1)


@pytest.fixture
def issued(admin, tenant, make_person, courses, settings):
    settings.BASE_URL = "https://training.acme.example"
    people = [make_person(tenant, name=name) for name in ("Łukasz Żółć", "Zoë Brontë", "José Núñez")]
    theory, practice, _ = courses
    rule = make_config(admin, people, [item(theory, validity_months=12), item(practice)], name="Forklift licence")
    for person in people:
        complete(admin, person, theory, START + DAY)
        complete(admin, person, practice, START + 2 * DAY)
    return list(Certificate.objects.select_related("person", "tenant").order_by("id")), rule


def test_the_pdf_names_holder_items_number_dates_and_the_verification_url(issued):
    certificates, _ = issued
    for cert in certificates:
        content = render_certificate(cert, logo=None, now=START + 3 * DAY)
        assert content.startswith(b"%PDF")
        text = pdf_text(content)
        for expected in (
            cert.person.name,  # Łukasz Żółć, Zoë Brontë, José Núñez: the embedded Unicode font prints them
            "Acme",
            "Certificate of completion",
            "Forklift licence",
            "Forklift theory",
            "Forklift practice",
            "3 March 2026",  # theory completed
            "4 March 2026",  # practice completed, and the issue date
            "3 March 2027",  # valid until: theory's 12 months
            cert.number,
            f"https://training.acme.example/verify/{cert.code}",
        ):
            assert expected in text, (expected, text)
        assert "No longer valid" not in text
        assert qr_matches(content, verification_url(cert.code))
        assert not qr_matches(content, verification_url(cert.code + "x"))


def embedded_fonts(content: bytes) -> list[TTFont]:
    """The font programs embedded in the PDF's first page (as fontTools reads them)."""
    fonts = []
    for ref in PdfReader(io.BytesIO(content)).pages[0]["/Resources"]["/Font"].values():
        (descendant,) = ref.get_object()["/DescendantFonts"]
        program = descendant.get_object()["/FontDescriptor"]["/FontFile2"].get_object().get_data()
        fonts.append(TTFont(io.BytesIO(program)))
    return fonts


@pytest.fixture
def parsed_fonts(monkeypatch):
    """The font files fpdf2 parses while the test renders."""
    opened: list[Path] = []
    real_init = TTFFont.__init__

    def spy(self, fpdf, font_file_path, *args, **kwargs):
        opened.append(Path(font_file_path))
        real_init(self, fpdf, font_file_path, *args, **kwargs)

    monkeypatch.setattr(TTFFont, "__init__", spy)
    return opened


def test_latin_greek_and_cyrillic_names_are_rendered_without_parsing_the_whole_fonts(issued, parsed_fonts):
    cert = issued[0][0]
    for name in ("Łukasz Żółć", "Ωμέγα Жуковский"):
        cert.person.name = name
        content = render_certificate(cert, logo=None, now=START + 3 * DAY)
        assert name in pdf_text(content)
    assert len(parsed_fonts) == 4 and not any(path.parent == FONT_DIR for path in parsed_fonts), parsed_fonts
    # Still DejaVu Sans, embedded as a subset: the glyphs the page prints and little else.
    for font in embedded_fonts(content):
        assert "DejaVu Sans" in font["name"].getBestFullName() and len(font.getGlyphOrder()) < 100


def test_a_name_in_another_script_is_rendered_with_the_whole_fonts(issued, parsed_fonts):
    cert = issued[0][0]
    cert.person.name = "ნინო ბერიძე"  # Georgian: outside the common blocks, in DejaVu Sans
    content = render_certificate(cert, logo=None, now=START + 3 * DAY)
    assert "ნინო ბერიძე" in pdf_text(content) and cert.number in pdf_text(content)
    assert {path for path in parsed_fonts if path.parent == FONT_DIR} == {
        FONT_DIR / name for name in FONT_FILES.values()
    }
    for font in embedded_fonts(content):
        assert len(font.getGlyphOrder()) < 100


def test_an_invalid_certificate_says_so(issued):
    cert = issued[0][0]
    cert.invalidated_at, cert.invalid_reason = START + 5 * DAY, "revoked"
    text = pdf_text(render_certificate(cert, logo=None, now=START + 6 * DAY))
    assert "No longer valid" in text and "since 7 March 2026" in text and "Revoked by an administrator" in text


def test_the_logo_is_printed(issued, admin, tenant):
    from duecourse.certificates.inputs import LogoInput
    from duecourse.certificates.services import tenant_logo_set

    buffer = io.BytesIO()
    Image.new("RGB", (300, 100), (200, 30, 30)).save(buffer, format="JPEG")
    logo = tenant_logo_set(actor=admin, data=LogoInput(content=buffer.getvalue(), filename="logo.jpg"))
    content = render_certificate(issued[0][0], logo=logo, now=START + 3 * DAY)
    sizes = {(image.image.width, image.image.height) for image in PdfReader(io.BytesIO(content)).pages[0].images}
    assert (300, 100) in sizes


def test_a_pdf_that_cannot_be_rendered_is_recorded_for_admins(issued, tenant):
    cert = issued[0][0]
    TenantLogo.objects.create(tenant=tenant, image=b"not an image", width=1, height=1, uploaded_at=START)
    with pytest.raises(PdfUnavailable):
        certificate_pdf(cert)
    cert.refresh_from_db()
    assert cert.pdf_error
    TenantLogo.objects.filter(tenant=tenant).delete()
    filename, content = certificate_pdf(cert)
    assert filename == f"certificate-{cert.number}.pdf" and content.startswith(b"%PDF")
    cert.refresh_from_db()
    assert cert.pdf_error == ""
