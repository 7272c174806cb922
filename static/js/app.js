// What every page gets. Pages work without it; it adds offline work and small conveniences.

import { currentUser } from "./store.js";

// <select data-autosubmit> submits its form on change (e.g. picking a customer).
document.addEventListener("change", (event) => {
  const select = event.target.closest("select[data-autosubmit]");
  if (select && select.form) select.form.requestSubmit();
});

// [data-print] buttons print the page (service reports, label sheets).
document.addEventListener("click", (event) => {
  if (event.target.closest("[data-print]")) window.print();
});

// [data-history-back] links go back in history, where the browser still has what was typed
// (the link's own address is the way back without JavaScript).
document.addEventListener("click", (event) => {
  if (event.target.closest("[data-history-back]") && history.length > 1) {
    event.preventDefault();
    history.back();
  }
});

// A file input with data-max-bytes refuses a file over the server's limit before anything is
// sent (the server would answer 413 and the form would have to be filled again).
const megabytes = (bytes) => `${(bytes / 1048576).toFixed(1).replace(/\.0$/, "")} MB`;
document.addEventListener("change", (event) => {
  const input = event.target.closest("input[type=file][data-max-bytes]");
  if (!input) return;
  const limit = Number(input.dataset.maxBytes);
  const big = [...input.files].find((file) => file.size > limit);
  const field = input.closest(".field");
  let error = field?.querySelector("[data-size-error]");
  if (!big) {
    error?.remove();
    input.removeAttribute("aria-invalid");
    return;
  }
  if (!error) {
    error = Object.assign(document.createElement("span"), { className: "error", id: `${input.id}-size` });
    error.dataset.sizeError = "";
    error.setAttribute("role", "alert");
    input.after(error);
  }
  error.textContent = `This photo is ${megabytes(big.size)}; the limit is ${input.dataset.maxLabel || megabytes(limit)}. Choose a smaller one, or send the request without a photo.`;
  input.value = "";
  input.setAttribute("aria-invalid", "true");
  input.setAttribute("aria-describedby", error.id);
  field?.classList.add("has-error");
});

// A form with data-busy shows that its work has started (an import's check takes seconds):
// the pressed button says so and cannot be pressed twice. Back to the page, it is ready again.
document.addEventListener("submit", (event) => {
  const form = event.target.closest("form[data-busy]");
  const button = event.submitter;
  if (!form || event.defaultPrevented || !button) return;
  button.dataset.label = button.textContent;
  button.textContent = form.dataset.busy;
  button.disabled = true;
  form.setAttribute("aria-busy", "true");
});
window.addEventListener("pageshow", () => {
  for (const form of document.querySelectorAll("form[data-busy][aria-busy]")) {
    form.removeAttribute("aria-busy");
    for (const button of form.querySelectorAll("button[data-label]")) {
      button.textContent = button.dataset.label;
      button.disabled = false;
    }
  }
});

// Timelines place their blocks from data attributes (percent of the track): the Content
// Security Policy allows no style attribute, and setting styles from a script is not one.
for (const el of document.querySelectorAll("[data-left], [data-width], [data-hours], [data-height]")) {
  if (el.dataset.left) el.style.left = `${el.dataset.left}%`;
  if (el.dataset.height) el.style.height = `${Math.max(Number(el.dataset.height), 2)}%`;
  if (el.dataset.width) el.style.width = `${el.dataset.width}%`;
  if (el.dataset.hours) el.style.setProperty("--hours", el.dataset.hours);
}

// Signing in: the next page refreshes the offline pack.
document.querySelector('form[action="/login"]')?.addEventListener("submit", () => {
  sessionStorage.setItem("fieldapp:just-signed-in", "1");
});

if (currentUser()) {
  const [{ startSync }, { startPack }, { guardSignOut }] = await Promise.all([
    import("./sync.js"),
    import("./pack.js"),
    import("./signout.js"),
  ]);
  startSync();
  startPack();
  guardSignOut();
}

// A message left by the page before (e.g. "Visit saved." after finishing through the outbox).
const flash = sessionStorage.getItem("fieldapp:flash");
if (flash) {
  sessionStorage.removeItem("fieldapp:flash");
  const note = Object.assign(document.createElement("div"), { className: "flash flash-success", textContent: flash });
  document.querySelector('.flashes[role="status"]')?.append(note);
}
