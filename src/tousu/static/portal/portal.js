// The public portal's own script (the Content-Security-Policy allows no inline script).
// The form works without it: it adds the proof-of-work widget (self-hosted ALTCHA) and
// tells the person at once when an attachment is too large.
const here = import.meta.url;

async function altchaStart() {
  const widget = document.querySelector("altcha-widget");
  if (!widget) return;
  if (!window.isSecureContext) {
    // The widget needs Web Crypto (HTTPS): the picture check stays in its place.
    widget.remove();
    return;
  }
  await import(new URL("../vendor/altcha/i18n/zh-cn.js", here).href);
  await import(new URL("../vendor/altcha/external/altcha.js", here).href);
  const worker = (name) => () => new Worker(new URL(`../vendor/altcha/workers/${name}.js`, here));
  for (const algorithm of ["PBKDF2/SHA-256", "PBKDF2/SHA-384", "PBKDF2/SHA-512"]) {
    globalThis.$altcha.algorithms.set(algorithm, worker("pbkdf2"));
  }
  for (const algorithm of ["SHA-256", "SHA-384", "SHA-512"]) {
    globalThis.$altcha.algorithms.set(algorithm, worker("sha"));
  }
  document.documentElement.classList.add("portal-altcha");
}

function sizeCheck(input) {
  const each = Number(input.dataset.maxFile);
  const total = Number(input.dataset.maxTotal);
  const count = Number(input.dataset.maxCount);
  const files = Array.from(input.files || []);
  const sum = files.reduce((acc, file) => acc + file.size, 0);
  let problem = "";
  if (files.length > count) problem = input.dataset.messageCount;
  else if (files.some((file) => file.size > each) || sum > total) problem = input.dataset.message;
  const box = input.parentElement.querySelector("[data-client-message]");
  if (box) {
    box.textContent = problem;
    box.hidden = !problem;
  }
  input.classList.toggle("is-invalid", Boolean(problem));
  if (problem) input.value = "";
}

document.querySelectorAll("input[type=file][data-max-file]").forEach((input) => {
  input.addEventListener("change", () => sizeCheck(input));
});

altchaStart().catch((error) => {
  // The picture check stays in its place; the widget, unable to run, steps aside.
  document.querySelector("altcha-widget")?.remove();
  console.warn("The proof of work could not start; the picture check is used.", error);
});
