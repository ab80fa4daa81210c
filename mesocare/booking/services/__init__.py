"""Online booking services: settings, public slots and holds, online intake, abuse checks and
the returning patient's course. Every appointment is written by the scheduling services."""
