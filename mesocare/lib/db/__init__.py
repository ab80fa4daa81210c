"""Database helpers: the PostgreSQL backend that keeps tenant keys composite, the one-to-one
field whose uniqueness includes the organization, and the conversion of an existing schema."""
