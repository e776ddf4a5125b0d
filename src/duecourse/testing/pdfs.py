"""Reading certificate PDFs in tests: their text (pypdf) and the QR code printed on them; the first page as
a PNG for the docs."""

import io
import shutil
import subprocess
from pathlib import Path

import segno
from pypdf import PdfReader

from duecourse.certificates.pdf import QR_BORDER


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def qr_matches(content: bytes, url: str) -> bool:
    """The PDF's QR image encodes `url`: each module, sampled at its centre, is dark exactly where the QR
    code of `url` (as segno draws it) has a dark module; a different URL gives a different pattern."""
    images = [image.image for page in PdfReader(io.BytesIO(content)).pages for image in page.images]
    squares = [image for image in images if image is not None and image.width == image.height]
    if not squares:
        return False
    grey = squares[0].convert("L")
    matrix = segno.make(url, error="m", micro=False).matrix
    step = grey.width / (len(matrix) + 2 * QR_BORDER)
    for row, cells in enumerate(matrix):
        for col, dark in enumerate(cells):
            pixel = grey.getpixel((int((col + QR_BORDER + 0.5) * step), int((row + QR_BORDER + 0.5) * step)))
            if not isinstance(pixel, int | float) or (pixel < 128) != bool(dark):
                return False
    return True


def render_first_page(content: bytes, path: Path) -> bool:
    """Save the PDF's first page as the PNG `path` (pdftoppm from poppler-utils); False when it is not installed."""
    tool = shutil.which("pdftoppm")
    if tool is None:
        return False
    source = path.with_suffix(".pdf")
    source.write_bytes(content)
    subprocess.run(  # noqa: S603 - a fixed tool on files we wrote
        [tool, "-png", "-r", "80", "-singlefile", str(source), str(path.with_suffix(""))], check=True
    )
    source.unlink()
    return True
