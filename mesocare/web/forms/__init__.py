"""Staff UI forms, one module per area. Forms validate input shape; the services enforce the
rules, and `apply_domain_errors` puts their messages beside the fields."""
