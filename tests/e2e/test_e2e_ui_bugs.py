"""Issue 18, bugs visible only in a browser: the top search type-ahead must be readable
(its names and "All results…" rendered white on white)."""

from __future__ import annotations

from typing import Any

from e2e_day import PASSWORD, Day

CONTRAST = """el => {
  const rgb = c => c.match(/\\d+(\\.\\d+)?/g).slice(0, 3).map(Number);
  const lum = c => { const [r, g, b] = rgb(c).map(v => { v /= 255;
    return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
  let bgEl = el, bg = 'rgba(0, 0, 0, 0)';
  while (bgEl && (bg === 'rgba(0, 0, 0, 0)' || bg === 'transparent')) {
    bg = getComputedStyle(bgEl).backgroundColor; bgEl = bgEl.parentElement; }
  const a = lum(getComputedStyle(el).color), b = lum(bg);
  return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
}"""


def test_search_type_ahead_names_and_all_results_are_readable(e2e: Any, day: Day) -> None:
    patient = day.ensure_patient()
    page = e2e.page()
    e2e.sign_in(page, "reception@alpha.test", PASSWORD)
    page.locator("#global-search").fill(patient.family_name[:4])
    results = page.locator("#global-search-results")
    name = results.get_by_role("link", name=patient.family_name, exact=False).first
    name.wait_for()
    every = results.get_by_role("link", name="All results…")
    for link in (name, every):
        assert link.evaluate(CONTRAST) >= 4.5, link.inner_text()
