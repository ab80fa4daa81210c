"""Demo organization and synthetic patients."""
