"""Organizations (tenants), locations, rooms, staff memberships and working hours."""
