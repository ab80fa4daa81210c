"""Italian FatturaPA XML (FPR12, "fattura tra privati", version 1.2) made with the `a38` library.

`a38` models the FatturaPA schema (field lengths, choices, required elements) and checks the
SDI rules it knows (`a38.validation.Validation`); `build_fatturapa_xml` refuses any invoice for
which it reports an error, and `validate_fatturapa_xml` parses an XML back with `a38` and checks
it again.

Choices, after the Agenzia delle Entrate technical specifications of the FatturaPA format:
- a patient without an SDI channel gets CodiceDestinatario ``0000000`` and no PEC: the invoice is
  made available in the patient's reserved area of the Agenzia delle Entrate. `a38` reports that
  combination as error 00426 (which SDI raises only for a *business* recipient without PEC), so
  that single message is not counted for a private buyer.
- a buyer abroad gets CodiceDestinatario ``XXXXXXX``, CAP ``00000`` and, without a VAT number,
  IdCodice ``99999999999``.
- exempt lines carry Natura and RiferimentoNormativo from their `Exemption` (N4 for health care,
  art. 10 DPR 633/1972); an invoice whose exempt amount exceeds EUR 77.47 declares the EUR 2.00
  stamp duty (imposta di bollo, DPR 642/1972, tariff art. 13) as paid virtually.
- a credit note is TipoDocumento TD04 and names the invoice it corrects (DatiFattureCollegate).
"""

from __future__ import annotations

import re
from decimal import Decimal

import a38
from a38.fattura import auto_from_etree
from a38.validation import Validation
from lxml import etree

from .model import (
    PAYMENT_MEANS_FATTURAPA,
    Address,
    DocumentType,
    EInvoice,
    EInvoiceError,
    PaymentMeansKind,
    VatCategory,
    latin1_text,
)

TIPO_DOCUMENTO = {DocumentType.INVOICE: "TD01", DocumentType.CREDIT_NOTE: "TD04"}
STAMP_DUTY_THRESHOLD = Decimal("77.47")
STAMP_DUTY = Decimal("2.00")
FOREIGN_CODICE_DESTINATARIO = "XXXXXXX"
FOREIGN_ID_CODICE = "99999999999"
_A38_PRIVATE_BUYER_WITHOUT_PEC = "pec_destinatario has no value while codice_destinatario"


def _split_vat(vat_id: str, field: str) -> a38.IdFiscaleIVA:
    compact = re.sub(r"[\s.-]", "", vat_id).upper()
    if len(compact) < 3 or not compact[:2].isalpha():
        raise EInvoiceError("A VAT number starts with its country code (e.g. IT).", field)
    return a38.IdFiscaleIVA(compact[:2], compact[2:])


def _sede(address: Address, field: str) -> a38.Sede:
    street = latin1_text(", ".join(line for line in address.lines if line.strip()))
    if not street or not address.city or not address.country:
        raise EInvoiceError("The address has a street, a city and a country.", field)
    italian = address.country.upper() == "IT"
    if italian and not re.fullmatch(r"\d{5}", address.postcode or ""):
        raise EInvoiceError("An Italian postcode (CAP) has five digits.", f"{field}.postcode")
    return a38.Sede(
        indirizzo=street[:60],
        cap=address.postcode if italian else "00000",
        comune=latin1_text(address.city)[:60],
        provincia=(address.province.upper() or None) if italian else None,
        nazione=address.country.upper(),
    )


def _cedente(invoice: EInvoice) -> a38.CedentePrestatore:
    seller = invoice.seller
    rea = None
    if seller.registration:
        office, _, number = seller.registration.partition("-")
        if len(office) != 2 or not number:
            raise EInvoiceError(
                "The REA registration is written as office and number, e.g. MI-1234567.",
                "seller.registration",
            )
        rea = a38.IscrizioneREA(
            ufficio=office.upper(), numero_rea=number.strip(), stato_liquidazione="LN"
        )
    return a38.CedentePrestatore(
        a38.DatiAnagraficiCedentePrestatore(
            _split_vat(seller.vat_id, "seller.vat_id"),
            codice_fiscale=seller.tax_code or None,
            anagrafica=a38.Anagrafica(denominazione=latin1_text(seller.legal_name)[:80]),
            regime_fiscale=seller.tax_regime,
        ),
        _sede(seller.address, "seller.address"),
        iscrizione_rea=rea,
        contatti=a38.Contatti(email=seller.email) if seller.email else None,
    )


def _cessionario(invoice: EInvoice) -> a38.CessionarioCommittente:
    buyer = invoice.buyer
    italian = buyer.address.country.upper() == "IT"
    id_iva = None
    codice_fiscale = None
    if buyer.vat_id:
        id_iva = _split_vat(buyer.vat_id, "buyer.vat_id")
    elif italian:
        if not buyer.tax_code:
            raise EInvoiceError(
                "An Italian FatturaPA names the patient's tax code (codice fiscale).",
                "buyer.tax_code",
            )
        codice_fiscale = buyer.tax_code.upper()
    else:
        id_iva = a38.IdFiscaleIVA(buyer.address.country.upper(), FOREIGN_ID_CODICE)
    if buyer.family_name and buyer.given_name and not buyer.vat_id:
        anagrafica = a38.Anagrafica(
            nome=latin1_text(buyer.given_name)[:60], cognome=latin1_text(buyer.family_name)[:60]
        )
    else:
        anagrafica = a38.Anagrafica(denominazione=latin1_text(buyer.name)[:80])
    return a38.CessionarioCommittente(
        a38.DatiAnagraficiCessionarioCommittente(
            id_iva, codice_fiscale=codice_fiscale, anagrafica=anagrafica
        ),
        _sede(buyer.address, "buyer.address"),
    )


def build_fatturapa(invoice: EInvoice) -> a38.FatturaPrivati12:
    """The a38 model of `invoice` (not yet validated)."""
    invoice.check()
    if invoice.currency != "EUR" and invoice.minor_unit != Decimal("0.01"):
        raise EInvoiceError("FatturaPA amounts have two decimals.", "currency")
    totals = invoice.totals()
    fattura = a38.FatturaPrivati12()
    header = fattura.fattura_elettronica_header
    header.dati_trasmissione.id_trasmittente = a38.IdTrasmittente(*_id_parts(invoice.seller.vat_id))
    header.dati_trasmissione.progressivo_invio = _progressive(invoice.number)
    buyer = invoice.buyer
    if buyer.address.country.upper() != "IT":
        header.dati_trasmissione.codice_destinatario = FOREIGN_CODICE_DESTINATARIO
    else:
        header.dati_trasmissione.codice_destinatario = (buyer.sdi_code or "0000000").upper()
        if buyer.pec and header.dati_trasmissione.codice_destinatario == "0000000":
            header.dati_trasmissione.pec_destinatario = buyer.pec
    header.cedente_prestatore = _cedente(invoice)
    header.cessionario_committente = _cessionario(invoice)

    body = fattura.fattura_elettronica_body[0]
    exempt_amount = sum(
        (e.taxable_amount for e in invoice.vat_breakdown() if e.category is VatCategory.EXEMPT),
        Decimal("0"),
    )
    body.dati_generali.dati_generali_documento = a38.DatiGeneraliDocumento(
        tipo_documento=TIPO_DOCUMENTO[invoice.document_type],
        divisa=invoice.currency,
        data=invoice.issue_date,
        numero=invoice.number[:20],
        importo_totale_documento=totals.grand_total,
        causale=[latin1_text(invoice.note)[:200]] if invoice.note else None,
        dati_bollo=(
            a38.DatiBollo(bollo_virtuale="SI", importo_bollo=STAMP_DUTY)
            if exempt_amount > STAMP_DUTY_THRESHOLD
            else None
        ),
    )
    if invoice.preceding is not None:
        body.dati_generali.dati_fatture_collegate.append(
            a38.DatiFattureCollegate(
                id_documento=invoice.preceding.number[:20], data=invoice.preceding.issue_date
            )
        )
    services = body.dati_beni_servizi
    for index, (line, amount) in enumerate(
        zip(invoice.lines, invoice.line_amounts(), strict=True), start=1
    ):
        services.dettaglio_linee.append(
            a38.DettaglioLinee(
                numero_linea=index,
                descrizione=latin1_text(line.description)[:1000],
                quantita=line.quantity,
                unita_misura="N.",
                prezzo_unitario=line.unit_price,
                prezzo_totale=amount,
                aliquota_iva=line.vat_rate,
                natura=line.exemption.natura
                if line.vat_category is not VatCategory.STANDARD and line.exemption
                else None,
            )
        )
    for entry in invoice.vat_breakdown():
        services.dati_riepilogo.append(
            a38.DatiRiepilogo(
                aliquota_iva=entry.rate,
                natura=entry.exemption.natura
                if entry.category is not VatCategory.STANDARD and entry.exemption
                else None,
                imponibile_importo=entry.taxable_amount,
                imposta=entry.tax_amount,
                esigibilita_iva="I" if entry.category is VatCategory.STANDARD else None,
                riferimento_normativo=entry.exemption.legal_reference[:100]
                if entry.category is not VatCategory.STANDARD and entry.exemption
                else None,
            )
        )
    if invoice.payment_means is not None:
        means = invoice.payment_means
        body.dati_pagamento.append(
            a38.DatiPagamento(
                condizioni_pagamento="TP02",
                dettaglio_pagamento=[
                    a38.DettaglioPagamento(
                        modalita_pagamento=PAYMENT_MEANS_FATTURAPA[means.kind],
                        importo_pagamento=totals.grand_total,
                        data_scadenza_pagamento=invoice.due_date,
                        iban=means.iban.replace(" ", "")
                        if means.kind is PaymentMeansKind.BANK_TRANSFER
                        else None,
                    )
                ],
            )
        )
    return fattura


def _id_parts(vat_id: str) -> tuple[str, str]:
    compact = re.sub(r"[\s.-]", "", vat_id).upper()
    return compact[:2], compact[2:]


def _progressive(number: str) -> str:
    """ProgressivoInvio: up to 10 letters and digits identifying this transmission."""
    compact = re.sub(r"[^A-Za-z0-9]", "", number)
    return compact[-10:] or "1"


def fatturapa_errors(fattura: a38.FatturaPrivati12) -> list[str]:
    validation = Validation()
    fattura.validate(validation)
    private_buyer = (
        fattura.fattura_elettronica_header.dati_trasmissione.codice_destinatario == "0000000"
    )
    return [
        str(error)
        for error in validation.errors
        if not (private_buyer and _A38_PRIVATE_BUYER_WITHOUT_PEC in error.msg)
    ]


def build_fatturapa_xml(invoice: EInvoice) -> bytes:
    """The FatturaPA XML of `invoice`; EInvoiceError if `a38` finds it invalid."""
    fattura = build_fatturapa(invoice)
    errors = fatturapa_errors(fattura)
    if errors:
        raise EInvoiceError("The FatturaPA XML is not valid: " + "; ".join(errors))
    tree = fattura.build_etree(lxml=True)
    return bytes(etree.tostring(tree.getroot(), xml_declaration=True, encoding="UTF-8"))


def validate_fatturapa_xml(xml: bytes) -> a38.Fattura:
    """Parse `xml` back with `a38` and validate it; the parsed model is returned."""
    try:
        root = etree.fromstring(xml)
        fattura = auto_from_etree(root)
    except Exception as exc:
        raise EInvoiceError(f"Not a FatturaPA XML: {exc}") from exc
    errors = fatturapa_errors(fattura)
    if errors:
        raise EInvoiceError("The FatturaPA XML is not valid: " + "; ".join(errors))
    return fattura
