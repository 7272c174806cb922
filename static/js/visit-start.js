// Starting a visit from Today or the plotter page, with or without signal: the visit gets its
// id here, the start (and the job going in progress) goes to the outbox, and the visit form
// for the suggested procedure opens from the cache. Without the pack it is a normal link.

import { enqueue } from "./outbox.js";
import { currentUser, getPack } from "./store.js";

const CATEGORY_FOR_JOB_KIND = { repair: "repair", preventive: "preventive", install: "repair", inspection: "preventive" };

export function suggestedSop(pack, kind) {
  const category = CATEGORY_FOR_JOB_KIND[kind] ?? "repair";
  return pack.sops.find((sop) => sop.category === category)?.slug ?? "none";
}

export async function startVisit({ plotter, job = "", kind = "repair" }) {
  const pack = (await getPack(currentUser()))?.data;
  if (!pack) return false;
  const id = crypto.randomUUID();
  const started = new Date().toISOString();
  const sop = suggestedSop(pack, pack.jobs.find((j) => j.number === job)?.kind ?? kind);
  if (job) await enqueue("job.status", { job, status: "in_progress", at: started });
  await enqueue("visit.start", { id, equipment: plotter, job: job || null, sop: sop === "none" ? null : sop, started_at: started });
  const hash = new URLSearchParams({ plotter, job, id, started });
  location.assign(`/visits/form/${sop}#${hash}`);
  return true;
}

document.addEventListener("click", async (event) => {
  const link = event.target.closest("a[data-start-visit]");
  if (!link || event.defaultPrevented) return;
  event.preventDefault();
  const started = await startVisit({ plotter: link.dataset.plotter, job: link.dataset.forJob ?? "", kind: link.dataset.kind });
  if (!started) location.assign(link.href); // no offline pack yet: the server's start page
});

// Visits open on this phone (started offline, not finished): offer to continue them.
export function showOpenVisits(container) {
  const open = Object.entries(JSON.parse(localStorage.getItem("fieldapp:open-visits") || "{}"))
    .filter(([, visit]) => visit.user === currentUser());
  if (!container || !open.length) return;
  const title = Object.assign(document.createElement("h2"), { textContent: "Visit in progress on this phone" });
  const list = document.createElement("ul");
  list.className = "plain-list";
  for (const [, visit] of open) {
    const link = Object.assign(document.createElement("a"), { href: visit.url, className: "btn btn-ok btn-block" });
    link.textContent = `Continue: ${visit.plotter}${visit.customer ? ` at ${visit.customer}` : ""}`;
    const li = document.createElement("li");
    li.append(link);
    list.append(li);
  }
  container.replaceChildren(title, list);
  container.hidden = false;
}

showOpenVisits(document.querySelector("[data-open-visits]"));
