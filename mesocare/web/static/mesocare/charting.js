// Body map views (face / front / back) as tabs; the last view used is remembered.
// Without JavaScript every view is shown and every zone is still a link.
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  keepHeadingsClearOfTotals();
  computeTotalVolume();
  var map = document.querySelector("[data-bodymap]");
  if (!map) return;
  var buttons = map.querySelectorAll("[data-view]");
  var panels = map.querySelectorAll("[data-view-panel]");
  function show(view) {
    panels.forEach(function (p) { p.hidden = p.getAttribute("data-view-panel") !== view; });
    buttons.forEach(function (b) { b.setAttribute("aria-selected", String(b.getAttribute("data-view") === view)); });
    try { sessionStorage.setItem("mesocare.bodymap", view); } catch (e) { /* private mode */ }
  }
  buttons.forEach(function (b) {
    b.addEventListener("click", function () { show(b.getAttribute("data-view")); });
  });
  var selected = map.querySelector(".zone.selected");
  var start = selected ? selected.closest("[data-view-panel]").getAttribute("data-view-panel") : null;
  try { start = start || sessionStorage.getItem("mesocare.bodymap"); } catch (e) { /* ignore */ }
  show(start || map.getAttribute("data-default-view") || "front");
  // Focus the injection form after a zone was chosen. After the load: the browser's jump to
  // the #inject fragment happens then and would move the focus back to the page.
  var first = document.querySelector("#inject [autofocus], #inject select, #inject input:not([type=hidden])");
  if (selected && first) {
    var focusForm = function () { first.focus({ preventScroll: true }); };
    if (document.readyState === "complete") setTimeout(focusForm, 0);
    else window.addEventListener("load", function () { setTimeout(focusForm, 0); });
  }

  // The running totals stick to the top of the screen; a section reached by its #fragment
  // (the injection form after a tap on the body map) must start below them, whatever height
  // they wrap to: scroll-margin-top in charting.css reads this variable.
  function keepHeadingsClearOfTotals() {
    var totals = document.querySelector(".totals");
    if (!totals) return;
    var root = document.documentElement;
    function measure() { root.style.setProperty("--totals-height", totals.offsetHeight + "px"); }
    measure();
    if (window.ResizeObserver) new ResizeObserver(measure).observe(totals);
    window.addEventListener("load", function () {
      var target = location.hash && document.getElementById(location.hash.slice(1));
      if (target) target.scrollIntoView();
    });
  }

  // Total volume = points × volume per point, computed as they are typed (in thousandths of
  // a mL, as integers, so 20 × 0.05 is 1.000 and not 1.0000000000000002). The server applies
  // the same rule and refuses a total that disagrees.
  function computeTotalVolume() {
    var form = document.querySelector("[data-volume-form]");
    if (!form) return;
    var points = form.elements.namedItem("points");
    var perPoint = form.elements.namedItem("volume_per_point_ml");
    var total = form.elements.namedItem("total_volume_ml");
    if (!points || !perPoint || !total) return;
    function thousandths(text) {
      var match = /^\s*(\d+)(?:[.,](\d{0,3}))?\s*$/.exec(text);
      if (!match) return null;
      return Number(match[1]) * 1000 + Number(((match[2] || "") + "000").slice(0, 3));
    }
    function update() {
      var n = /^\s*\d+\s*$/.test(points.value) ? Number(points.value) : 0;
      var each = thousandths(perPoint.value);
      if (n < 1 || !each) return;
      var product = n * each;
      var fraction = String(product % 1000);
      total.value = Math.floor(product / 1000) + "." + "000".slice(fraction.length) + fraction;
    }
    points.addEventListener("input", update);
    perPoint.addEventListener("input", update);
    if (!total.value) update();
  }
})();
