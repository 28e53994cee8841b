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
