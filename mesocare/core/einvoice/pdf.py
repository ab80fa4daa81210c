"""PDF/A-3 with the EN 16931 XML embedded (Factur-X, profile EN 16931).

The invoice's HTML is rendered by weasyprint as PDF/A-3b; the `factur-x` library
(`facturx.generate_from_binary`) then embeds the CII XML as ``factur-x.xml`` with the
AFRelationship "Data" and writes the Factur-X XMP metadata that makes the PDF a Factur-X
invoice. `facturx_xml_from_pdf` reads the XML back (`facturx.get_xml_from_pdf`).
"""

from __future__ import annotations

import io

from facturx import generate_from_binary, get_xml_from_pdf

from .cii import LEVEL, validate_cii_xml
from .model import EInvoiceError


def render_pdf_a3(html: str, base_url: str | None = None, lang: str = "en") -> bytes:
    """The PDF/A-3b rendering of `html` (weasyprint)."""
    from weasyprint import HTML

    pdf = HTML(string=html, base_url=base_url).write_pdf(pdf_variant="pdf/a-3b")
    if pdf is None:  # write_pdf returns bytes when no target is given
        raise EInvoiceError("The PDF could not be rendered.")
    return bytes(pdf)


def embed_cii_xml(pdf: bytes, xml: bytes, lang: str = "en") -> bytes:
    """A Factur-X PDF: `pdf` with the EN 16931 `xml` embedded (the XML is validated first)."""
    validate_cii_xml(xml)
    try:
        return bytes(
            generate_from_binary(
                pdf,
                xml,
                flavor="factur-x",
                level=LEVEL,
                check_xsd=False,
                check_schematron=False,
                lang=lang,
            )
        )
    except Exception as exc:
        raise EInvoiceError(f"The XML could not be embedded in the PDF: {exc}") from exc


def facturx_pdf(html: str, xml: bytes, base_url: str | None = None, lang: str = "en") -> bytes:
    """Render `html` as PDF/A-3b and embed the EN 16931 `xml`."""
    return embed_cii_xml(render_pdf_a3(html, base_url=base_url), xml, lang=lang)


def facturx_xml_from_pdf(pdf: bytes) -> tuple[str, bytes]:
    """The embedded XML's file name and content (EInvoiceError if there is none)."""
    filename, xml = get_xml_from_pdf(io.BytesIO(pdf), check_xsd=False)
    if not xml:
        raise EInvoiceError("The PDF carries no Factur-X XML.")
    return str(filename), bytes(xml)
