// Before/after photo comparison: side by side, or the after photo over the before one,
// revealed by a range slider (clip-path; no inline styles in the markup).
(function () {
  "use strict";
  var box = document.querySelector(".compare");
  if (!box) return;
  var after = box.querySelector(".compare-after");
  var range = document.querySelector("[data-compare-range]");
  var rangeLabel = document.querySelector(".compare-range");
  function reveal() {
    after.style.clipPath = "inset(0 " + (100 - Number(range.value)) + "% 0 0)";
  }
  document.querySelectorAll("[data-compare-mode]").forEach(function (button) {
    button.addEventListener("click", function () {
      var mode = button.getAttribute("data-compare-mode");
      box.setAttribute("data-mode", mode);
      document.querySelectorAll("[data-compare-mode]").forEach(function (b) {
        b.setAttribute("aria-pressed", String(b === button));
      });
      rangeLabel.hidden = mode !== "slider";
      if (mode === "slider") { reveal(); } else { after.style.clipPath = ""; }
    });
  });
  range.addEventListener("input", reveal);
})();
