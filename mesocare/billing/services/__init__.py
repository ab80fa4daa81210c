"""The till's services. Every state change is transactional and audited, takes the acting
`Actor` first and is scoped to the actor's organization; errors are `mesocare.errors`
(`Invalid` 422 with the field, `Conflict` 409, `NotFound` 404, `Forbidden` 403).

README — what other parts of mesocare call (the staff UI and the document generators)
-----------------------------------------------------------------------------------
Prices and packages (`billing.prices` to write, `billing.view` to read):
    prices.list_prices(actor, active=None)            items annotated with `current_amount`
    prices.get_price_item(actor, pk)
    prices.create_price_item(actor, code=, name=, kind=, amount=, currency=, tax_category=,
        tax_rate=, exemption_code=, exemption_reason=, protocol_id=, deposit_kind=, deposit_value=)
    prices.update_price_item(actor, item, changes)    `amount` (+ `valid_from`) adds a version
    prices.price_at(item, at=None) -> PriceVersion
    prices.set_cancellation_policy(actor, late_cancel_hours=, forfeit_on_no_show=,
        forfeit_on_late_cancel=, refund_policy=, fee_amount=, currency=)
    prices.current_policy(org_id)
    packages.list_offers / get_offer / create_offer(components=[{item_id, quantity}]) /
        update_offer / revise_offer (a new version with a new price or sessions; old withdrawn)

Selling and invoicing (`billing.charge`):
    packages.sell_package(actor, patient_id=, offer_id=, location_id=, instalments=1)
        -> PatientPackage (its invoice is `package.invoice`)
    packages.patient_packages(actor, patient_id)       audited read
    packages.effective_status(package), packages.instalment_plan(package)
    invoicing.issue_visit_invoice(actor, session_id= | appointment_id=, items=[ItemRequest])
        items a course of the patient includes are used first (invoicing.covered_by_packages)
    invoicing.issue_retail_invoice(actor, patient_id=, location_id=, items=[ItemRequest])
    invoicing.get_invoice(actor, pk) (audited), invoicing.list_invoices(actor, ...)
    invoicing.invoice_queryset(org_id)                 lines and credit notes prefetched
    payments.record_payment(actor, amount=, method=, location_id=, invoice_id= | deposit_id= |
        patient_id=, reference=)
    payments.record_refund(actor, amount=, method=, location_id=, credit_note_id= | deposit_id=)
    payments.balance_of(org_id, patient_id) -> Balance (.balance, .credit, .due)
    payments.open_invoices(org_id, patient_id) -> {invoice_id: amount still due}
    payments.patient_account(actor, patient_id)        audited read
    deposits.list_deposits(actor, patient_id=, status=), deposits.deposit_of(org_id, appt_id)

Corrections (`billing.credit`):
    invoicing.issue_credit_note(actor, invoice_id, reason=, lines=[CreditRequest])
    invoicing.list_credit_notes(actor, invoice_id)
    packages.cancel_package(actor, patient_id, package_id, reason=, refund_method=None,
        location_id=None, reference="")   with refund_method: `package.refund` is the refund
    packages.refund_due(package) -> (net to credit, policy terms)   money.course_refund split

Reports (`billing.view`):
    reports.takings(actor, day, location_id=None) -> [LocationTakings]   the Z report
    reports.export_csv(actor, date_from, date_to) -> str                  audited export

Called by other domains inside their transactions:
    packages.consume_for_signed_session(actor, session)   from charting's sign_session
    deposits.ask_deposit / deposits.settle_on_status      receivers of scheduling's signals

Amounts are `Decimal` in the currency's minor units; the arithmetic (line nets, VAT groups,
totals, instalments, pro rata) is `mesocare.core.money`.
"""
