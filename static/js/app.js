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
