// Tousu's only script of its own (the Content-Security-Policy allows no inline script).
document.addEventListener("DOMContentLoaded", () => {
  // A select marked data-autosubmit sends its form when changed (the language switch).
  document.querySelectorAll("select[data-autosubmit]").forEach((select) => {
    select.addEventListener("change", () => select.form.submit());
  });
  // A button marked data-print prints the page (the office's documents).
  document.querySelectorAll("[data-print]").forEach((button) => {
    button.addEventListener("click", () => window.print());
  });
  // The list's filter fields take Bootstrap's look.
  document.querySelectorAll("#filters select, #filters input:not([type=search])").forEach((e) => {
    e.classList.add(
      e.tagName === "SELECT" ? "form-select" : e.type === "checkbox" ? "form-check-input" : "form-control",
    );
  });
});

// Forms marked data-confirm ask before they are sent (an incident's 已控制, a publication).
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (form instanceof HTMLFormElement && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
    event.preventDefault();
  }
});
// An htmx form marked data-swap-errors shows the server's refusal (403, 409, 422) in place:
// the answer is the form again with the errors beside its fields.
document.addEventListener("htmx:beforeSwap", (event) => {
  const status = event.detail.xhr.status;
  if ([403, 409, 422].includes(status) && event.detail.requestConfig.elt.closest("[data-swap-errors]")) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});
