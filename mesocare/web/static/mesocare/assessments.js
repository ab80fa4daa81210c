// Trend charts on the patient's Assessments tab: one line chart per scale.
// Data comes from <script type="application/json"> blocks (json_script), never inline code (CSP).
(function () {
  "use strict";

  function drawTrend(canvas) {
    var source = document.getElementById(canvas.dataset.trend);
    if (!source || typeof window.Chart === "undefined") {
      return;
    }
    var data = JSON.parse(source.textContent);
    new window.Chart(canvas, {
      type: "line",
      data: {
        labels: data.points.map(function (p) { return p.t.slice(0, 10); }),
        datasets: [{
          label: data.label,
          data: data.points.map(function (p) { return p.total; }),
          borderColor: "#0f6e6e",
          backgroundColor: "#0f6e6e",
          tension: 0.2,
        }],
      },
      options: {
        animation: false,
        maintainAspectRatio: false,
        scales: { y: { suggestedMin: data.min, suggestedMax: data.max } },
        plugins: {
          tooltip: {
            callbacks: {
              afterLabel: function (ctx) {
                var band = data.points[ctx.dataIndex].band;
                return band ? band : "";
              },
            },
          },
        },
      },
    });
  }

  function init() {
    document.querySelectorAll("canvas[data-trend]").forEach(drawTrend);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
