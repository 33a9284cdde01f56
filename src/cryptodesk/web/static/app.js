// cryptodesk dashboard: draw Plotly figures embedded as JSON and make tables sortable (keyboard friendly).
"use strict";

function drawCharts() {
  document.querySelectorAll(".chart").forEach(function (box) {
    var spec = box.querySelector("script.figure");
    if (!spec || !window.Plotly) { return; }
    var fig = JSON.parse(spec.textContent);
    var target = document.createElement("div");
    target.className = "plot";
    box.appendChild(target);
    window.Plotly.newPlot(target, fig.data, fig.layout, { responsive: true, displaylogo: false });
  });
}

function cellValue(row, index, numeric) {
  var raw = row.cells[index].getAttribute("data-value") || "";
  if (!numeric) { return raw.toLowerCase(); }
  return raw === "" ? null : parseFloat(raw);
}

function sortTable(table, index, numeric, th) {
  var descending = th.getAttribute("aria-sort") !== "descending";
  table.querySelectorAll("th").forEach(function (h) { h.setAttribute("aria-sort", "none"); });
  th.setAttribute("aria-sort", descending ? "descending" : "ascending");
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows);
  rows.sort(function (a, b) {
    var x = cellValue(a, index, numeric), y = cellValue(b, index, numeric);
    if (x === y) { return 0; }
    if (x === null) { return 1; }
    if (y === null) { return -1; }
    var c = x < y ? -1 : 1;
    return descending ? -c : c;
  });
  rows.forEach(function (r) { body.appendChild(r); });
}

function sortableTables() {
  document.querySelectorAll("table.sortable").forEach(function (table) {
    table.querySelectorAll("th button").forEach(function (button, index) {
      button.addEventListener("click", function () {
        sortTable(table, index, button.getAttribute("data-numeric") === "1", button.parentElement);
      });
    });
  });
}

document.addEventListener("DOMContentLoaded", function () {
  drawCharts();
  sortableTables();
});
