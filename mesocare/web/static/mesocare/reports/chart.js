// Reports → one chart per business report page: bars from the JSON of #report-chart-data
// ({labels, datasets: [{label, data}], percent}); percentages get a "%" axis.
(function () {
  "use strict";
  var node = document.getElementById("report-chart-data");
  var canvas = document.getElementById("report-chart");
  if (!node || !canvas || typeof Chart === "undefined") return;
  var data = JSON.parse(node.textContent);
  var colours = ["#0f6e6e", "#b5541c", "#4a4e9c", "#6b7280"];
  new Chart(canvas, {
    type: "bar",
    data: {
      labels: data.labels,
      datasets: data.datasets.map(function (set, i) {
        return { label: set.label, data: set.data, backgroundColor: colours[i % colours.length] };
      })
    },
    options: {
      responsive: true,
      scales: {
        y: {
          beginAtZero: true,
          ticks: data.percent ? { callback: function (v) { return v + " %"; } } : {}
        }
      }
    }
  });
})();
