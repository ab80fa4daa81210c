"""A chain of clinics at load-test scale, written with PostgreSQL's COPY.

`seed_chain(patients, organizations=20, locations=60)` builds organizations, locations, staff,
rooms, hours, a price list and product lots with the ORM, then streams every patient's history
(plans with planned sessions, appointments, signed sessions with injections and the lots they
used, the outbox and the audit trail) into one COPY per table. See `history` for one patient.
"""

from mesocare.demo.scale.chain import ChainResult, SeedRefused, seed_chain

__all__ = ["ChainResult", "SeedRefused", "seed_chain"]
