// Body map views (face / front / back) as tabs; the last view used is remembered.
// Without JavaScript every view is shown and every zone is still a link.
(function () {
  "use strict";
  document.documentElement.classList.add("js");
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
    var focusForm = function () { first.focus(); };
    if (document.readyState === "complete") setTimeout(focusForm, 0);
    else window.addEventListener("load", function () { setTimeout(focusForm, 0); });
  }
})();
