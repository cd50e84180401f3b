// Tousu's only script of its own (the Content-Security-Policy allows no inline script).
document.addEventListener("DOMContentLoaded", () => {
  // A select marked data-autosubmit sends its form when changed (the language switch).
  document.querySelectorAll("select[data-autosubmit]").forEach((select) => {
    select.addEventListener("change", () => select.form.submit());
  });
  // The list's filter fields take Bootstrap's look.
  document.querySelectorAll("#filters select, #filters input:not([type=search])").forEach((e) => {
    e.classList.add(
      e.tagName === "SELECT" ? "form-select" : e.type === "checkbox" ? "form-check-input" : "form-control",
    );
  });
});
