// Opening a job's thread marks it read, once the page is in front of the person (visible).
// A fetch, a prefetch or the service worker filling its cache runs no page script, so none of
// them clears a badge. The mark goes up to the newest message the page shows (the server's own
// timestamp, sent as printed: a Date would drop its microseconds), so a message that arrived
// after the page was made stays unread. A tech marks through the outbox (it works offline and
// is sent by sync.js); the office, on a desk, posts to the API. Without JavaScript the page
// shows a "Mark as read" button instead; this module hides it.

import { enqueue, opsFor } from "./outbox.js";
import { fetchWithCsrf } from "./photos.js";
import { syncNow } from "./sync.js";

const form = document.querySelector("form[data-thread-read]");
if (form) {
  form.hidden = true;
  whenSeen(() => markRead(form));
}

// Run once the page is visible: now, or when a page opened in the background (or prerendered)
// is first shown.
function whenSeen(run) {
  if (document.prerendering) {
    document.addEventListener("prerenderingchange", () => whenSeen(run), { once: true });
    return;
  }
  if (document.visibilityState === "visible") {
    run();
    return;
  }
  const check = () => {
    if (document.visibilityState !== "visible") return;
    document.removeEventListener("visibilitychange", check);
    run();
  };
  document.addEventListener("visibilitychange", check);
}

async function markRead(form) {
  const { job, at } = form.dataset;
  const tech = document.body.classList.contains("role-tech");
  try {
    if (tech) {
      await markThroughOutbox(job, at);
    } else {
      await markOnServer(job, at);
    }
  } catch {
    form.hidden = false; // the person can still mark it themselves
    return;
  }
  lowerNavCount(Number.parseInt(form.dataset.unread, 10) || 0);
}

// One waiting mark per thread is enough: a later one replaces it, an earlier one is dropped.
async function markThroughOutbox(job, at) {
  const waiting = (await opsFor()).find(
    (op) => op.type === "thread.read" && op.state === "pending" && op.payload.job === job,
  );
  if (waiting && Date.parse(waiting.payload.at) >= Date.parse(at)) return;
  await enqueue("thread.read", { job, at }, { replaces: waiting?.id ?? null });
  syncNow({ force: true });
}

async function markOnServer(job, at) {
  const response = await fetchWithCsrf(`/api/v1/jobs/${encodeURIComponent(job)}/read`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ at }),
  });
  if (!response.ok) throw new Error(`mark read: HTTP ${response.status}`);
}

// The navigation's unread badge (rendered with this page) loses this thread's unread messages.
function lowerNavCount(by) {
  if (!by) return;
  for (const count of document.querySelectorAll(".sidenav .nav-count, .bottomnav .nav-count")) {
    const left = Number.parseInt(count.textContent, 10) - by;
    if (!(left > 0)) {
      count.remove();
      continue;
    }
    count.firstChild.textContent = String(left);
    count.title = `${left} unread in job threads`;
  }
}
