// A page's live parts. One poller per page watches a feed (the office's activity feed, or a
// tech's own jobs) with its ETag, so a quiet poll is a 304 with no body. When the feed moves,
// the page asks once for its live parts (the same URL with ?part=live, drawn by the same
// templates as the page) and swaps each marked region ([data-live="..."]) whose HTML changed,
// keeping the focus where it was. Without JavaScript the page is a snapshot.

export const LIVE_UPDATED = "fieldapp:live-updated";

const MAX_BACKOFF = 60000;

function say(status, text) {
  if (status) status.textContent = text;
}

/** Where the focus is inside a region, as a selector that finds the same control again. */
function focusKey(region) {
  const active = document.activeElement;
  if (!active || active === document.body || !region.contains(active)) return null;
  if (active.id) return `#${CSS.escape(active.id)}`;
  const href = active.getAttribute("href");
  if (href) return `${active.tagName.toLowerCase()}[href="${CSS.escape(href)}"]`;
  return null;
}

/** Swap in each region of the fragment whose HTML differs from the page's (so nothing that
 * did not change is redrawn, and nothing flickers). Returns how many regions changed. */
export function swapRegions(fragment, root = document) {
  let changed = 0;
  for (const fresh of fragment.querySelectorAll("[data-live]")) {
    const key = fresh.dataset.live;
    for (const region of root.querySelectorAll(`[data-live="${CSS.escape(key)}"]`)) {
      if (region.innerHTML === fresh.innerHTML) continue;
      const focused = focusKey(region);
      region.innerHTML = fresh.innerHTML;
      if (focused) region.querySelector(focused)?.focus({ preventScroll: true });
      changed += 1;
    }
  }
  return changed;
}

let refreshing = null;
let again = false;

/** Fetch this page's live parts and swap them in; calls made meanwhile fold into one more. */
export function refreshLiveParts() {
  if (refreshing) {
    again = true;
    return refreshing;
  }
  refreshing = (async () => {
    try {
      do {
        again = false;
        const url = new URL(window.location.href);
        url.searchParams.set("part", "live");
        url.hash = "";
        const response = await fetch(url, {
          headers: { Accept: "text/html" },
          cache: "no-store",
          credentials: "same-origin",
        });
        // Signed out (a redirect to the sign-in page) or an error: keep what is shown.
        if (!response.ok || response.redirected) throw new Error(`HTTP ${response.status}`);
        const template = document.createElement("template");
        template.innerHTML = await response.text();
        if (swapRegions(template.content)) window.dispatchEvent(new CustomEvent(LIVE_UPDATED));
      } while (again);
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

/**
 * Poll the feed named by `source` (data-url, data-after, data-etag, data-interval) while the
 * page is visible and the device online. Each new answer goes to onBody, then the page's live
 * parts are fetched once. A 304 costs nothing more.
 */
export function watchFeed(source, { onBody = () => {}, status = null } = {}) {
  const interval = Number(source.dataset.interval) || 3000;
  let after = Number(source.dataset.after) || 0;
  let etag = source.dataset.etag || "";
  let timer = null;
  let failures = 0;

  async function poll() {
    timer = null;
    if (!navigator.onLine) {
      say(status, "Offline: this page will catch up when the connection is back.");
      return; // the "online" event starts polling again
    }
    try {
      const url = new URL(source.dataset.url, window.location.href);
      url.searchParams.set("after", after);
      const headers = { Accept: "application/json" };
      if (etag) headers["If-None-Match"] = etag;
      // no-store: the 304 must reach this code, not be turned into a cached 200 by the browser.
      const response = await fetch(url, { headers, cache: "no-store", credentials: "same-origin" });
      if (response.status === 401) {
        say(status, "Signed out: reload to sign in again.");
        return;
      }
      if (response.ok) {
        const body = await response.json();
        const moved = (response.headers.get("ETag") || "") !== etag;
        etag = response.headers.get("ETag") || etag;
        after = Math.max(after, body.latest || 0);
        onBody(body);
        if (moved) await refreshLiveParts();
      } else if (response.status !== 304) {
        throw new Error(`HTTP ${response.status}`);
      }
      failures = 0;
      say(status, `Live · checked ${new Date().toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })}`);
    } catch {
      failures += 1;
      say(status, "Offline: this page will catch up when the connection is back.");
    }
    schedule();
  }

  function schedule() {
    if (timer || document.hidden) return;
    // Back off while failing, up to a minute; a good poll resets it.
    timer = setTimeout(poll, Math.min(interval * 2 ** failures, MAX_BACKOFF));
  }

  function now() {
    clearTimeout(timer);
    timer = null;
    poll();
  }

  document.addEventListener("visibilitychange", () => {
    if (document.hidden) {
      clearTimeout(timer);
      timer = null;
    } else {
      now();
    }
  });
  window.addEventListener("online", now);
  schedule();
}

// Pages without a feed of their own (the board, a tech's Today) name the one they watch.
const source = document.querySelector("[data-live-watch]");
if (source) watchFeed(source, { status: document.querySelector("[data-live-status]") });
