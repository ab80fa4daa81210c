// Small progressive enhancements for the staff UI. Everything works without this file.
(function () {
  "use strict";

  function ready(fn) {
    if (document.readyState !== "loading") fn();
    else document.addEventListener("DOMContentLoaded", fn);
  }

  // Tablets and phones: the main menu folds behind a "Menu" button (without this file the
  // menu simply stays open).
  ready(function () {
    var header = document.querySelector("header.top");
    var toggle = header && header.querySelector(".menu-toggle");
    if (!toggle) return;
    header.classList.add("has-menu");
    toggle.hidden = false;
    toggle.addEventListener("click", function () {
      var open = header.classList.toggle("nav-open");
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
    });
  });

  ready(function () {
    // Selects marked data-autosubmit submit their form on change (organization switcher);
    // their fallback submit button is then not needed.
    document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
      select.addEventListener("change", function () { select.form.submit(); });
      var button = select.form.querySelector("[data-hide-with-js]");
      if (button) button.classList.add("js-hidden");
    });

    // Global patient search: arrow keys move between the input and the result links,
    // Escape closes the results.
    var input = document.getElementById("global-search");
    var box = document.getElementById("global-search-results");
    if (!input || !box) return;
    function links() { return Array.prototype.slice.call(box.querySelectorAll("a")); }
    function close() { box.innerHTML = ""; }
    input.addEventListener("keydown", function (e) {
      if (e.key === "ArrowDown") {
        var all = links();
        if (all.length) { e.preventDefault(); all[0].focus(); }
      } else if (e.key === "Escape") {
        close();
      }
    });
    box.addEventListener("keydown", function (e) {
      var all = links();
      var i = all.indexOf(document.activeElement);
      if (e.key === "ArrowDown" && i < all.length - 1) { e.preventDefault(); all[i + 1].focus(); }
      else if (e.key === "ArrowUp") { e.preventDefault(); (i > 0 ? all[i - 1] : input).focus(); }
      else if (e.key === "Escape") { close(); input.focus(); }
    });
    document.addEventListener("click", function (e) {
      if (!box.contains(e.target) && e.target !== input) close();
    });
  });
})();
