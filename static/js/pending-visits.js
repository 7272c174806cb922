// On a plotter page: visits logged on this phone and not yet synced, shown first in the
// history and marked "waiting to sync", so the tech sees their work even with no signal (the
// server's entry of the same visit, "in progress", is hidden meanwhile: a visit shows once).
// After Finish, a confirmation at the top says where the visit is, with its report and the
// follow-up jobs it opened once the server has it.

import { normaliseCode } from "./codes.js";
import { CHANGED, opsFor } from "./outbox.js";
import { getMeta } from "./store.js";
import { SYNCED } from "./sync.js";

const OUTCOMES = { fixed: "Fixed", needs_parts: "Needs parts", needs_followup: "Needs follow-up", no_fault_found: "No fault found", pm_done: "PM done" };

export async function showPendingVisits(token, timeline) {
  if (!timeline) return;
  const ops = (await opsFor()).filter((op) => (op.type === "visit.record" || op.type === "visit.amend") && normaliseCode(op.payload.equipment) === token);
  // No await from here on: two refreshes at once must not both add the same visits.
  timeline.querySelectorAll("[data-pending-visit]").forEach((el) => el.remove());
  const waiting = new Set(ops.map((op) => op.payload.id));
  timeline.querySelectorAll("[data-visit]").forEach((el) => (el.hidden = waiting.has(el.dataset.visit)));
  const empty = timeline.closest("section")?.querySelector(".empty");
  if (empty) empty.hidden = ops.length > 0;
  for (const op of ops.reverse()) {
    const visit = op.payload;
    const item = document.createElement("li");
    item.className = "visit visit-pending";
    item.dataset.pendingVisit = visit.id;
    item.id = `pending-visit-${visit.id}`;
    const head = document.createElement("div");
    head.className = "visit-head";
    const date = Object.assign(document.createElement("span"), { className: "visit-date", textContent: new Date(visit.started_at).toLocaleDateString(undefined, { month: "short", day: "numeric", year: "numeric" }) });
    const badge = Object.assign(document.createElement("span"), {
      className: `badge ${op.state === "rejected" ? "badge-rejected" : "badge-pending"}`,
      textContent: op.state === "rejected" ? "Needs attention" : op.type === "visit.amend" ? "Correction waiting to sync" : "Waiting to sync",
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

const link = (href, text) => Object.assign(document.createElement("a"), { href, textContent: text });

/** The confirmation at the top after Finish: saved here or with the office, and what next. */
export async function showSaved(box) {
  const saved = JSON.parse(sessionStorage.getItem("fieldapp:saved-visit") || "null");
  if (!box || !saved || location.hash !== "#saved") return;
  const op = (await opsFor()).find((each) => each.payload.id === saved.id && each.type.startsWith("visit."));
  const result = await getMeta(`visit-result:${saved.id}`);
  const title = Object.assign(document.createElement("h2"), { textContent: saved.amend ? "Correction saved." : "Visit saved." });
  const line = document.createElement("p");
  if (op?.state === "rejected") {
    line.className = "error";
    line.append(`The server refused it: ${op.reason} `, link("/sync", "Fix it"));
  } else if (op) {
    line.textContent = "It is on this phone and goes to the office as soon as there is signal.";
  } else {
    line.append("The office has it. ", link(`/visits/${saved.id}`, "Open the visit"), " · ", link(`/visits/${saved.id}/report`, "Service report"));
  }
  const parts = [title, line];
  if (result?.follow_up_jobs?.length) {
    const jobs = result.follow_up_jobs.join(", ");
    const follow = Object.assign(document.createElement("p"), { textContent: `Follow-up job ${jobs} is open. ` });
    follow.append(link("/", "See Today"));
    parts.push(follow);
  }
  if (result?.job_note) parts.push(Object.assign(document.createElement("p"), { className: "muted small", textContent: `The job was not changed: ${result.job_note}` }));
  box.replaceChildren(...parts);
  box.hidden = false;
  window.scrollTo(0, 0);
  box.focus({ preventScroll: true });
}

const page = document.querySelector("[data-plotter-token]");
if (page) {
  const token = page.dataset.plotterToken;
  const timeline = () => document.querySelector("[data-timeline]");
  const confirmation = document.querySelector("[data-saved-confirmation]");
  const refresh = () => {
    showPendingVisits(token, timeline());
    showSaved(confirmation);
  };
  refresh();
  window.addEventListener(CHANGED, refresh);
  window.addEventListener(SYNCED, async () => {
    const shown = timeline()?.querySelectorAll("[data-pending-visit]").length ?? 0;
    if (shown && navigator.onLine) await reloadHistory(token, timeline());
    refresh();
  });
}
