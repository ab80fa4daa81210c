"""Pure domain engines: no Django, no I/O, no clock."""
