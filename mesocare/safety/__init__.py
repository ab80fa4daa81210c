"""Safety checks against the database: facts in, findings out, overrides (uses core.safety)."""
