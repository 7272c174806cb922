// Plotter history: "Older visits" appends the next page in place instead of reloading.
// Without JavaScript the link opens the next page as a normal page.

document.addEventListener("click", async (event) => {
  const link = event.target.closest("a[data-load-more]");
  if (!link) return;
  event.preventDefault();
  const item = link.closest("li");
  link.setAttribute("aria-disabled", "true");
  link.textContent = "Loading…";
  const url = new URL(link.href);
  url.searchParams.set("fragment", "history");
  try {
    const response = await fetch(url, { credentials: "same-origin" });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    item.insertAdjacentHTML("beforebegin", await response.text());
    item.remove();
  } catch {
    // Offline or failed: fall back to a normal navigation, which the service worker may serve.
    window.location.assign(link.href);
  }
});
