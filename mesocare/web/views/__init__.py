"""Staff UI views, one module per area."""
