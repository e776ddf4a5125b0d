"""The certificate as a PDF (fpdf2), with an embedded Unicode font so that every name prints.

fpdf2's built-in fonts are Latin-1 only; DejaVu Sans (shipped in `fonts/`, with its licence) covers
"Łukasz", "Zoë", "José" and most scripts people's names are written in. The page: the tenant's logo
and name, the holder, the configuration, each required item with its completion date, the number,
issue date, validity, and a QR code (segno) of the public verification URL, printed as text too.
Rendering is deterministic from the certificate's stored facts, so it is done when needed (an email
being delivered, a download) rather than stored.

Speed: fpdf2 parses a font file on every `add_font` and its subsetting (at `output`) cuts the parsed
font down in place, so a parsed font can be neither kept nor shared between documents (a deep copy of
an FPDF shares the parsed font too). Parsing both DejaVu files (~6,000 glyphs each) was most of a
render. So each process cuts, once, copies of both files down to the blocks nearly every name and
title is written in (`COMMON_BLOCKS`: Latin, Greek, Cyrillic, punctuation; ~2,000 glyphs) and renders
with those; a certificate that prints any other character is rendered again with the whole fonts.
Either way the PDF embeds a subset of DejaVu Sans with exactly the glyphs it prints.

Memory: this module brings fpdf2, fontTools and Pillow (about 40 MB per process), so only what renders
a PDF imports it, when it does (`services.certificate_pdf`); names and links are in `files`.
"""

import atexit
import datetime as dt
import functools
import io
import logging
import os
import shutil
import tempfile
import threading
from pathlib import Path

import segno
from django.utils import formats, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from fontTools import subset as font_subset  # type: ignore[import-untyped]
from fontTools.ttLib import TTFont  # type: ignore[import-untyped]
from fpdf import FPDF
from fpdf.enums import Align, XPos, YPos
from fpdf.fonts import FontFace, TTFFont

from duecourse.certificates.domain import REASON_WORDS, invalid_reason_of, invalid_since, is_valid
from duecourse.certificates.files import RenderFailed, holder_language, verification_url
from duecourse.certificates.models import Certificate, TenantLogo
from duecourse.core.timezones import zone_of

FONT_DIR = Path(__file__).resolve().parent / "fonts"
FONT = "DejaVu"
FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf"}
# The Unicode blocks of the fonts a process renders with first (see the module's docstring): Basic
# Latin to Cyrillic Supplement (with IPA, modifiers, combining marks, Greek), Latin Extended Additional
# and Greek Extended, General Punctuation, currency symbols, letterlike symbols and number forms.
COMMON_BLOCKS = ((0x0020, 0x052F), (0x1E00, 0x1FFF), (0x2000, 0x206F), (0x20A0, 0x20CF), (0x2100, 0x218F))
QR_SCALE = 10  # pixels per module of the embedded QR image (crisp in any viewer)
QR_BORDER = 4  # the quiet zone the QR standard asks for, in modules
QR_SIZE_MM = 32
TYPE_LABELS = {"course": gettext_lazy("Course"), "path": gettext_lazy("Learning path"), "skill": gettext_lazy("Skill")}
INK, MUTED, ACCENT = (31, 41, 51), (82, 96, 109), (29, 78, 216)

logger = logging.getLogger(__name__)


def qr_png(url: str) -> bytes:
    """The QR code of `url` as a black-and-white PNG (QR_SCALE pixels per module, QR_BORDER modules of margin)."""
    buffer = io.BytesIO()
    segno.make(url, error="m", micro=False).save(buffer, kind="png", scale=QR_SCALE, border=QR_BORDER)
    return buffer.getvalue()


def _date(moment: dt.datetime | None, timezone_name: str | None) -> str:
    """The day in the holder's zone, with the active language's month name ("7 Dicembre 2026", "7 Dezember 2026")."""
    if moment is None:
        return ""
    return formats.date_format(moment.astimezone(zone_of(timezone_name)), "j F Y")


def _completed(value: str | None, timezone_name: str | None) -> str:
    if not value:
        return "—"
    return _date(dt.datetime.fromisoformat(value), timezone_name)


def full_font_files() -> dict[str, Path]:
    return {style: FONT_DIR / name for style, name in FONT_FILES.items()}


_COMMON_FONTS_LOCK = threading.Lock()


def common_font_files() -> dict[str, Path] | None:
    """This process's copies of the fonts cut down to `COMMON_BLOCKS` (made on first use, removed at
    exit); None when they cannot be made (the whole fonts are used then)."""
    with _COMMON_FONTS_LOCK:
        return _make_common_font_files()


@functools.cache
def _make_common_font_files() -> dict[str, Path] | None:
    try:
        directory = Path(tempfile.mkdtemp(prefix="duecourse-fonts-"))
        owner = os.getpid()

        def remove() -> None:  # by the process that made it, not by a child forked after
            if os.getpid() == owner:
                shutil.rmtree(directory, ignore_errors=True)

        atexit.register(remove)
        unicodes = [code for first, last in COMMON_BLOCKS for code in range(first, last + 1)]
        files = {}
        for style, source in full_font_files().items():
            options = font_subset.Options()
            # Everything fpdf2 reads (names, glyph names, metrics, hinting); it drops the layout tables.
            options.notdef_outline = options.recommended_glyphs = options.glyph_names = True
            options.name_IDs, options.name_languages = ["*"], ["*"]
            options.drop_tables += ["FFTM", "GDEF", "GPOS", "GSUB", "MATH", "hdmx"]
            subsetter = font_subset.Subsetter(options)
            subsetter.populate(unicodes=unicodes)
            font = TTFont(source)
            subsetter.subset(font)
            files[style] = directory / source.name
            font.save(files[style])
        return files
    except Exception:
        logger.exception("Could not cut the certificate fonts down; rendering with the whole fonts")
        return None


class _Page(FPDF):
    def __init__(self, fonts: dict[str, Path]) -> None:
        super().__init__(orientation="landscape", unit="mm", format="A4")
        for style, path in fonts.items():
            self.add_font(FONT, style, str(path))
        self.set_auto_page_break(auto=True, margin=18)
        self.set_margins(22, 18, 22)

    def centred(self, text: str, size: float, *, bold: bool = False, colour: tuple = INK, gap: float = 2) -> None:
        self.set_font(FONT, "B" if bold else "", size)
        self.set_text_color(*colour)
        self.multi_cell(0, size * 0.45, text, align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(gap)


def render_certificate(certificate: Certificate, *, logo: TenantLogo | None, now: dt.datetime) -> bytes:
    """The certificate's PDF, in its holder's language (whoever asks for it); RenderFailed (with the reason)
    when it cannot be rendered."""
    try:
        with translation.override(holder_language(certificate.person.locale)):
            return _render(certificate, logo=logo, now=now)
    except RenderFailed:
        raise
    except Exception as exc:  # a broken logo, a missing font file: the caller holds the email, admins see why
        raise RenderFailed(f"{exc.__class__.__name__}: {exc}") from exc


def _render(certificate: Certificate, *, logo: TenantLogo | None, now: dt.datetime) -> bytes:
    common = common_font_files()
    if common is not None:
        pdf = _compose(certificate, logo=logo, now=now, fonts=common)
        if not any(isinstance(font, TTFFont) and font.missing_glyphs for font in pdf.fonts.values()):
            return bytes(pdf.output())
    return bytes(_compose(certificate, logo=logo, now=now, fonts=full_font_files()).output())


def _compose(certificate: Certificate, *, logo: TenantLogo | None, now: dt.datetime, fonts: dict[str, Path]) -> FPDF:
    person = certificate.person
    zone = person.timezone
    url = verification_url(certificate.code)
    pdf = _Page(fonts)
    pdf.set_title(_("Certificate %(number)s: %(title)s") % {"number": certificate.number, "title": certificate.title})
    pdf.set_author(certificate.tenant.name)
    pdf.set_creator("duecourse")
    pdf.add_page()
    pdf.set_draw_color(*ACCENT)
    pdf.set_line_width(0.8)
    pdf.rect(10, 10, pdf.w - 20, pdf.h - 20)

    if logo is not None:
        pdf.image(io.BytesIO(bytes(logo.image)), x=Align.C, y=16, h=18, keep_aspect_ratio=True)
        pdf.set_y(37)
    else:
        pdf.set_y(20)
    pdf.centred(certificate.tenant.name, 12, colour=MUTED, gap=4)
    pdf.centred(_("Certificate of completion"), 26, bold=True, colour=ACCENT, gap=5)
    pdf.centred(_("This certifies that"), 11, colour=MUTED)
    pdf.centred(person.name, 22, bold=True, gap=3)
    pdf.centred(_("has completed every required item of"), 11, colour=MUTED)
    pdf.centred(certificate.title, 16, bold=True, gap=5)

    pdf.set_font(FONT, "", 10)
    pdf.set_text_color(*INK)
    pdf.set_draw_color(203, 210, 217)
    pdf.set_line_width(0.2)
    with pdf.table(
        col_widths=(100, 45, 40),  # room for "Percorso formativo" on one line
        width=185,
        align=Align.C,
        text_align=("LEFT", "LEFT", "RIGHT"),
        line_height=6,
        headings_style=FontFace(emphasis="BOLD", color=MUTED, fill_color=(238, 242, 247)),
        borders_layout="HORIZONTAL_LINES",
    ) as table:
        heading = table.row()
        for label in (_("Training"), pgettext("certificate item", "Type"), pgettext("certificate item", "Completed")):
            heading.cell(label)
        for item in certificate.items:
            target = item.get("target") or {}
            row = table.row()
            row.cell(str(target.get("title") or ""))
            row.cell(str(TYPE_LABELS.get(str(target.get("type")), str(target.get("type") or ""))))
            row.cell(_completed(item.get("completed_at"), zone))

    bottom = max(pdf.get_y() + 6, pdf.h - 18 - QR_SIZE_MM - 8)
    if bottom + QR_SIZE_MM + 8 > pdf.h - 12:
        pdf.add_page()
        bottom = 24
    facts = [
        (_("Certificate number"), certificate.number),
        (pgettext("certificate", "Issued"), _date(certificate.issued_at, zone)),
        (_("Valid until"), _date(certificate.valid_until, zone) if certificate.valid_until else _("No expiry")),
    ]
    if not is_valid(invalidated_at=certificate.invalidated_at, valid_until=certificate.valid_until, now=now):
        since = invalid_since(invalidated_at=certificate.invalidated_at, valid_until=certificate.valid_until, now=now)
        reason = invalid_reason_of(
            invalidated_at=certificate.invalidated_at,
            invalid_reason=certificate.invalid_reason,
            valid_until=certificate.valid_until,
            now=now,
        )
        words = {"date": _date(since, zone), "reason": REASON_WORDS.get(reason or "", "")}
        since_words = _("since %(date)s: %(reason)s") % words
        facts.append((_("No longer valid"), since_words))
    pdf.set_xy(pdf.l_margin, bottom)
    # The labels' column fits "Numero del certificato"; a value wraps before the QR code (a long reason).
    label_width = 48
    value_width = pdf.w - pdf.r_margin - QR_SIZE_MM - 6 - pdf.l_margin - label_width
    for label, value in facts:
        pdf.set_font(FONT, "", 9)
        pdf.set_text_color(*MUTED)
        pdf.cell(label_width, 6, label)
        pdf.set_font(FONT, "B", 10)
        pdf.set_text_color(*INK)
        pdf.multi_cell(value_width, 6, value, align=Align.L, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    qr_x = pdf.w - pdf.r_margin - QR_SIZE_MM
    pdf.image(io.BytesIO(qr_png(url)), x=qr_x, y=bottom - 4, w=QR_SIZE_MM, h=QR_SIZE_MM)
    pdf.set_font(FONT, "", 7)
    pdf.set_text_color(*MUTED)
    text_width = 120
    pdf.set_xy(pdf.w - pdf.r_margin - text_width, bottom + QR_SIZE_MM - 3)
    pdf.cell(text_width, 4, _("Check that it is valid:"), align=Align.R, new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_x(pdf.w - pdf.r_margin - text_width)
    pdf.cell(text_width, 4, url, align=Align.R, link=url)
    return pdf
