// Behaviour without inline scripts (the CSP allows only 'self'): auto-submitting selects and form widgets.
document.addEventListener("change", function (event) {
  if (event.target.classList.contains("js-autosubmit")) {
    event.target.form.submit();
  }
});
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("input:not([type=checkbox]):not([type=radio]):not([type=hidden]), select, textarea").forEach(function (el) {
    if (el.closest("form") && !el.classList.contains("form-select") && !el.classList.contains("form-control")) {
      el.classList.add(el.tagName === "SELECT" ? "form-select" : "form-control");
    }
  });
});
// Bar charts whose data sits in a json_script block: [[label, value], ...]. Chart.js is loaded on pages that chart.
document.addEventListener("DOMContentLoaded", function () {
  if (typeof Chart === "undefined") { return; }
  document.querySelectorAll("canvas.js-bar-chart").forEach(function (canvas) {
    var rows = JSON.parse(document.getElementById(canvas.dataset.source).textContent);
    new Chart(canvas, {
      type: "bar",
      data: { labels: rows.map(function (r) { return r[0]; }), datasets: [{ label: canvas.dataset.label, data: rows.map(function (r) { return r[1]; }) }] },
      options: { animation: false, plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } }
    });
  });
});
