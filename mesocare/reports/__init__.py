"""Business reports of issue 16: attendance (no-shows, late cancellations, forfeited deposits),
packages (sold, consumed, deferred revenue), product cost per session, lapsed patients with the
one-click recall, and utilisation of practitioners and rooms. Reads only, except the recall."""
