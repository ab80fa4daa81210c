// Plan progress: scale totals and measurements over time; the response-check session is
// drawn as a dashed series of its own so it shows in the legend.
(function () {
  "use strict";
  var node = document.getElementById("progress-data");
  if (!node || typeof Chart === "undefined") return;
  var data = JSON.parse(node.textContent);
  var palette = ["#0f6e6e", "#b42318", "#8a5a00", "#1570ef", "#067647", "#5b6472"];
  function datasets(series) {
    return series.map(function (s, i) {
      return { label: s.label, data: s.points, borderColor: palette[i % palette.length],
               backgroundColor: palette[i % palette.length], tension: 0.2 };
    });
  }
  function marker(sets) {
    if (!data.response_check) return sets;
    var ys = [];
    sets.forEach(function (s) { s.data.forEach(function (p) { ys.push(p.y); }); });
    if (!ys.length) return sets;
    var lo = Math.min.apply(null, ys), hi = Math.max.apply(null, ys);
    return sets.concat([{ label: "response check", borderDash: [6, 4], borderColor: "#8a5a00",
      pointRadius: 0, data: [{ x: data.response_check, y: lo }, { x: data.response_check, y: hi }] }]);
  }
  function draw(id, series) {
    var canvas = document.getElementById(id);
    if (!canvas) return;
    new Chart(canvas, {
      type: "line",
      data: { datasets: marker(datasets(series)) },
      options: { parsing: { xAxisKey: "x", yAxisKey: "y" },
                 scales: { x: { type: "category", labels: collectX(series) } } }
    });
  }
  function collectX(series) {
    var xs = [];
    series.forEach(function (s) { s.points.forEach(function (p) { xs.push(p.x); }); });
    if (data.response_check) xs.push(data.response_check);
    xs.sort();
    return xs.filter(function (x, i) { return xs.indexOf(x) === i; });
  }
  draw("chart-scales", data.scales);
  draw("chart-measurements", data.measurements);
})();
