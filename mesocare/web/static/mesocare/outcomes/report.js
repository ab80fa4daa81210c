// Outcomes report: mean change per protocol with its 95% CI as floating bars.
(function () {
  "use strict";
  var node = document.getElementById("report-data");
  var canvas = document.getElementById("chart-report");
  if (!node || !canvas || typeof Chart === "undefined") return;
  var rows = JSON.parse(node.textContent);
  new Chart(canvas, {
    type: "bar",
    data: {
      labels: rows.map(function (r) { return r.label.slice(0, 40); }),
      datasets: [
        { label: "95% CI", data: rows.map(function (r) {
            return r.low === null ? [r.change, r.change] : [r.low, r.high]; }),
          backgroundColor: "rgba(15,110,110,0.25)" },
        { label: "mean change", type: "line", showLine: false, pointRadius: 5,
          data: rows.map(function (r) { return r.change; }), borderColor: "#0f6e6e" }
      ]
    },
    options: { indexAxis: "y" }
  });
})();
