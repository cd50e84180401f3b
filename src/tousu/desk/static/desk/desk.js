// The hotline desk, for the keyboard alone: Enter in the caller's number moves on, and
// the number's change looks the caller up (htmx); Enter in another one-line field moves on
// too; Ctrl+Enter registers. Without this script the form still works: Enter posts the
// look-up button (the form's first), a click on Register registers.
document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("desk-form");
  if (form) {
    const register = document.getElementById("register");
    const lookup = document.getElementById("lookup");
    const live = Boolean(window.htmx);
    if (live && lookup) {
      lookup.tabIndex = -1; // Enter does it: Tab goes from the number to the category
    }
    const stops = () =>
      Array.from(form.elements).filter(
        (e) => !e.disabled && e.type !== "hidden" && e.tabIndex >= 0 && e.tagName !== "BUTTON",
      );
    form.addEventListener("keydown", (event) => {
      if (event.key !== "Enter" || event.isComposing) {
        return; // an input method is still composing: Enter picks the characters
      }
      if (event.ctrlKey || event.metaKey) {
        event.preventDefault();
        form.requestSubmit(register);
        return;
      }
      const field = event.target;
      if (field.tagName === "TEXTAREA" || field.tagName === "BUTTON" || !live) {
        return;
      }
      event.preventDefault();
      // Leaving the caller's number changes it: that change is what starts the look-up
      // (an unchanged number is already looked up).
      const all = stops();
      const next = all[all.indexOf(field) + 1];
      if (next) {
        next.focus();
      }
    });
  }
  // The receipt: print, and A5 or A4 without reloading (the code is shown for a few minutes
  // after registration only).
  const print = document.querySelector("[data-print]");
  if (print) {
    print.addEventListener("click", () => window.print());
  }
  document.querySelectorAll("[data-paper]").forEach((link) => {
    link.addEventListener("click", (event) => {
      event.preventDefault();
      const receipt = document.getElementById("receipt");
      receipt.classList.remove("paper-a5", "paper-a4");
      receipt.classList.add(`paper-${link.dataset.paper}`);
      document.querySelectorAll("[data-paper]").forEach((l) => l.classList.toggle("active", l === link));
    });
  });
});
