// Calendar: mark the appointment whose panel is open, and bring the panel into view.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var link = event.target.closest("[data-appointment]");
    if (!link) { return; }
    document.querySelectorAll(".calendar .selected").forEach(function (el) {
      el.classList.remove("selected");
    });
    var cell = link.closest("td, li");
    if (cell) { cell.classList.add("selected"); }
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target && event.detail.target.id === "appointment-panel") {
      event.detail.target.scrollIntoView({ block: "nearest" });
      var first = event.detail.target.querySelector("h2");
      if (first) { first.setAttribute("tabindex", "-1"); first.focus(); }
    }
  });
})();
