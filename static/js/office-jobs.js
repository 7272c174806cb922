// The intake form's plotter finder: matches appear while the dispatcher types what the caller
// reads out (customer, serial, short code). Without JavaScript the Find button posts the form
// back with the matches, so the page works the same, one click slower.

const input = document.querySelector("[data-finder-input]");
const slot = document.querySelector("[data-finder-slot]");
let timer = null;
let controller = null;

async function search() {
  const url = new URL(input.dataset.finderUrl, window.location.href);
  url.searchParams.set("find", input.value.trim());
  const chosen = slot.querySelector("input[name=target]:checked");
  if (chosen) url.searchParams.set("target", chosen.value);
  controller?.abort();
  controller = new AbortController();
  try {
    const response = await fetch(url, { credentials: "same-origin", signal: controller.signal });
    if (response.ok) slot.innerHTML = await response.text();
  } catch {
    // Aborted by a newer search, or offline: the Find button still works.
  }
}

if (input && slot) {
  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(search, 250);
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      event.preventDefault();
      clearTimeout(timer);
      search();
    }
  });
}
