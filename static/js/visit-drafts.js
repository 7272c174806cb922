// Visits under way, as this phone knows them. A draft (a visit started and not finished)
// belongs to the phone it was started on: Today lists this phone's drafts to continue, and
// says of a visit the server knows but this phone does not that it was started on another
// device (to finish there, or discard), never offering an empty form. A visit saved on this
// phone and not yet sent shows as such, with what it will do to its job, at once, offline too.

import { LIVE_UPDATED } from "./live.js";
import { CHANGED, opsFor } from "./outbox.js";
import { currentUser } from "./store.js";
import { SYNCED } from "./sync.js";

const KEY = "fieldapp:open-visits";
const AFTER_OUTCOME = {
  fixed: "done",
  pm_done: "done",
  no_fault_found: "done",
  needs_parts: "waiting for parts",
  needs_followup: "back to the office to plan the next visit",
};

function drafts() {
  return JSON.parse(localStorage.getItem(KEY) || "{}");
}

export function rememberDraft(visit, plotter, url) {
  const open = drafts();
  open[visit.id] = {
    url,
    plotter: plotter ? `${plotter.make} ${plotter.model}` : visit.plotter,
    customer: plotter?.customer.name ?? "",
    started: visit.started,
    job: visit.job || "",
    user: currentUser(),
  };
  localStorage.setItem(KEY, JSON.stringify(open));
}

export function forgetDraft(id) {
  const open = drafts();
  delete open[id];
  localStorage.setItem(KEY, JSON.stringify(open));
}

function myDrafts() {
  return Object.entries(drafts()).filter(([, visit]) => visit.user === currentUser());
}

const text = (tag, className, content) => Object.assign(document.createElement(tag), { className, textContent: content });

function time(iso) {
  return iso ? new Date(iso).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }) : "";
}

/** This phone's drafts, as "Continue" buttons. */
export function showDrafts(container) {
  const open = myDrafts();
  if (!container) return;
  container.hidden = !open.length;
  if (!open.length) return container.replaceChildren();
  const title = text("h2", "", "Visit in progress on this phone");
  const list = Object.assign(document.createElement("ul"), { className: "plain-list" });
  for (const [id, visit] of open) {
    const link = Object.assign(document.createElement("a"), { href: visit.url, className: "btn btn-ok btn-block" });
    link.dataset.draft = id;
    link.textContent = `Continue: ${visit.plotter}${visit.customer ? ` at ${visit.customer}` : ""}`;
    const li = document.createElement("li");
    li.append(link);
    list.append(li);
  }
  container.replaceChildren(title, list);
}

/** Visits saved on this phone that wait to sync (or were refused), by visit id. */
async function savedHere() {
  const saved = new Map();
  for (const op of await opsFor()) {
    if (op.type === "visit.record" || op.type === "visit.amend") saved.set(op.payload.id, op);
  }
  return saved;
}

function savedNote(op) {
  const note = document.createElement("p");
  note.dataset.savedVisit = op.payload.id;
  if (op.state === "rejected") {
    note.className = "error";
    note.append(`Needs attention: ${op.reason} `, Object.assign(document.createElement("a"), { href: "/sync", textContent: "Fix it" }));
  } else {
    note.className = "saved-note";
    const then = op.payload.job ? ` ${op.payload.job} will be ${AFTER_OUTCOME[op.payload.outcome] ?? "updated"}.` : "";
    note.textContent = `Visit saved on this phone, waiting to sync.${then}`;
  }
  return note;
}

/** Mark what the server listed (visits in progress, job cards) with what this phone knows. */
export async function markVisits(root = document) {
  const saved = await savedHere();
  const here = new Set(myDrafts().map(([id]) => id));
  for (const item of root.querySelectorAll("[data-server-visit]")) {
    const id = item.dataset.serverVisit;
    item.querySelectorAll("[data-saved-visit], [data-elsewhere]").forEach((el) => el.remove());
    item.dataset.state = saved.has(id) ? "saved" : here.has(id) ? "here" : "elsewhere";
    if (saved.has(id)) {
      item.append(savedNote(saved.get(id)));
    } else if (here.has(id)) {
      item.hidden = item.hasAttribute("data-listed-here"); // listed with this phone's drafts
    } else {
      const note = text("p", "muted small", `Started on another device at ${time(item.dataset.started)}: finish it there, or discard it here.`);
      note.dataset.elsewhere = "";
      item.append(note);
    }
    item.querySelector("[data-abandon]")?.toggleAttribute("hidden", item.dataset.state !== "elsewhere");
  }
  for (const card of root.querySelectorAll("[data-job]")) {
    const op = [...saved.values()].find((each) => each.payload.job === card.dataset.job);
    card.querySelectorAll(":scope > [data-saved-visit]").forEach((el) => el.remove());
    // Start or continue: not while this phone holds the visit, nor for one started elsewhere.
    for (const action of card.querySelectorAll("[data-visit-action]")) {
      const state = action.closest("[data-server-visit]")?.dataset.state;
      action.hidden = Boolean(op) || state === "saved" || state === "elsewhere";
    }
    if (op && !card.querySelector("[data-server-visit] [data-saved-visit]")) card.querySelector(".btn-row")?.before(savedNote(op));
  }
  const empty = root.querySelector("[data-server-visits]");
  if (empty) empty.hidden = ![...empty.querySelectorAll("[data-server-visit]")].some((item) => !item.hidden);
}

function refresh() {
  showDrafts(document.querySelector("[data-open-visits]"));
  markVisits();
}

if (document.querySelector("[data-open-visits], [data-server-visit], [data-job]")) {
  refresh();
  window.addEventListener(CHANGED, refresh);
  window.addEventListener(SYNCED, refresh);
  // Today's job list was redrawn from the server (live.js): mark it with this phone's drafts.
  window.addEventListener(LIVE_UPDATED, refresh);
}
