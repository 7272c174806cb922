// Starting a visit from Today or the plotter page, with or without signal: the visit gets its
// id here, the start (and the job going in progress) goes to the outbox, and the visit form
// opens from the cache: the suggested procedure's, or the quick visit's (no procedure).
// Without the pack it is a normal link to the server's start page.

import { enqueue } from "./outbox.js";
import { currentUser, getPack } from "./store.js";

const CATEGORY_FOR_JOB_KIND = { repair: "repair", preventive: "preventive", install: "repair", inspection: "preventive" };

export function suggestedSop(pack, kind) {
  const category = CATEGORY_FOR_JOB_KIND[kind] ?? "repair";
  return pack.sops.find((sop) => sop.category === category) ?? null;
}

export async function startVisit({ plotter, job = "", kind = "repair", quick = false }) {
  const pack = (await getPack(currentUser()))?.data;
  if (!pack) return false;
  const id = crypto.randomUUID();
  const started = new Date().toISOString();
  const procedure = quick ? null : suggestedSop(pack, pack.jobs.find((j) => j.number === job)?.kind ?? kind);
  const sop = procedure?.slug ?? "none";
  if (job) await enqueue("job.status", { job, status: "in_progress", at: started });
  await enqueue("visit.start", {
    id, equipment: plotter, job: job || null, sop: procedure?.slug ?? null, version: procedure?.version ?? null, started_at: started,
  });
  const hash = new URLSearchParams({ plotter, job, id, started });
  location.assign(`/visits/form/${sop}#${hash}`);
  return true;
}

document.addEventListener("click", async (event) => {
  const link = event.target.closest("a[data-start-visit]");
  if (!link || event.defaultPrevented) return;
  event.preventDefault();
  const started = await startVisit({
    plotter: link.dataset.plotter,
    job: link.dataset.forJob ?? "",
    kind: link.dataset.kind,
    quick: link.hasAttribute("data-quick"),
  });
  if (!started) location.assign(link.href); // no offline pack yet: the server's start page
});
