// On a plotter page: visits logged on this phone and not yet synced, shown first in the
// history and marked "waiting to sync", so the tech sees their work even with no signal.

import { normaliseCode } from "./codes.js";
import { CHANGED, opsFor } from "./outbox.js";
import { SYNCED } from "./sync.js";

const OUTCOMES = { fixed: "Fixed", needs_parts: "Needs parts", needs_followup: "Needs follow-up", no_fault_found: "No fault found", pm_done: "PM done" };

export async function showPendingVisits(token, timeline) {
  if (!timeline) return;
  const ops = (await opsFor()).filter((op) => op.type === "visit.record" && normaliseCode(op.payload.equipment) === token);
  // No await from here on: two refreshes at once must not both add the same visits.
  timeline.querySelectorAll("[data-pending-visit]").forEach((el) => el.remove());
  const empty = timeline.closest("section")?.querySelector(".empty");
  if (empty) empty.hidden = ops.length > 0;
  for (const op of ops.reverse()) {
    const visit = op.payload;
    const item = document.createElement("li");
    item.className = "visit visit-pending";
    item.dataset.pendingVisit = visit.id;
    item.id = `visit-${visit.id}`;
    const head = document.createElement("div");
    head.className = "visit-head";
    const date = Object.assign(document.createElement("span"), { className: "visit-date", textContent: new Date(visit.started_at).toLocaleDateString(undefined, { month: "short", day: "numeric", year: "numeric" }) });
    const badge = Object.assign(document.createElement("span"), {
      className: `badge ${op.state === "rejected" ? "badge-rejected" : "badge-pending"}`,
      textContent: op.state === "rejected" ? "Needs attention" : "Waiting to sync",
    });
    const outcome = Object.assign(document.createElement("span"), { className: `badge badge-${visit.outcome}`, textContent: OUTCOMES[visit.outcome] ?? visit.outcome });
    head.append(date, outcome, badge);
    item.append(head);
    if (visit.summary) item.append(Object.assign(document.createElement("p"), { className: "visit-summary", textContent: visit.summary }));
    if (visit.parts.length) {
      item.append(Object.assign(document.createElement("p"), { className: "muted small", textContent: `Parts: ${visit.parts.map((p) => `${p.quantity} × ${p.sku}`).join(", ")}` }));
    }
    if (op.state === "rejected") {
      const why = Object.assign(document.createElement("p"), { className: "error", textContent: op.reason });
      const fix = Object.assign(document.createElement("a"), { href: "/sync", textContent: "Fix it" });
      why.append(" ", fix);
      item.append(why);
    }
    timeline.prepend(item);
  }
}

// After a sync the server has the visits: swap in its history, then what still waits.
async function reloadHistory(token, timeline) {
  try {
    const response = await fetch(`/e/${token}?fragment=history`, { credentials: "same-origin" });
    if (response.ok) timeline.innerHTML = await response.text();
  } catch {
    /* offline again: keep what is shown */
  }
}

const page = document.querySelector("[data-plotter-token]");
if (page) {
  const token = page.dataset.plotterToken;
  const timeline = () => document.querySelector("[data-timeline]");
  const refresh = () => showPendingVisits(token, timeline());
  refresh();
  window.addEventListener(CHANGED, refresh);
  window.addEventListener(SYNCED, async () => {
    const shown = timeline()?.querySelectorAll("[data-pending-visit]").length ?? 0;
    if (shown && navigator.onLine) await reloadHistory(token, timeline());
    refresh();
  });
}
