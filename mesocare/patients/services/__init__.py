"""Every change to a patient's record goes through these functions (transactional, audited)."""
