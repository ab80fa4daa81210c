"""Treatment plans and their planned sessions (uses core.planning)."""
