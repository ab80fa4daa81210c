// Till → Revenue: net revenue per month of the chosen period, one bar per month.
(function () {
  "use strict";
  var node = document.getElementById("revenue-data");
  var canvas = document.getElementById("chart-revenue");
  if (!node || !canvas || typeof Chart === "undefined") return;
  var data = JSON.parse(node.textContent);
  new Chart(canvas, {
    type: "bar",
    data: {
      labels: data.labels,
      datasets: [{ label: data.series, data: data.values, backgroundColor: "#0f6e6e" }]
    },
    options: { responsive: true, scales: { y: { beginAtZero: true } } }
  });
})();
