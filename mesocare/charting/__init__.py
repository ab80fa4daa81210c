"""Treatment sessions charted per injection point, side effects, signing, amendments."""
