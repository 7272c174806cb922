// The sync page: what waits on this phone, and what the server refused, with the reason,
// to correct and send again or to discard (after a confirmation). Nothing goes silently.

import { normaliseCode, shortCode } from "./codes.js";
import { CHANGED, discard, enqueue, localPhoto, opsFor, photosFor, retryNow } from "./outbox.js";
import { remove } from "./store.js";
import { SYNCED, syncNow } from "./sync.js";

const label = (code) => {
  const token = normaliseCode(code);
  return token ? shortCode(token) : code;
};

const LABELS = {
  "visit.record": (p) => `Visit on ${label(p.equipment)}${p.job ? ` (${p.job})` : ""}: ${p.summary || p.outcome}`,
  "visit.amend": (p) => `Correction of the visit on ${label(p.equipment)}: ${p.summary || p.outcome}`,
  "visit.abandon": () => "An unfinished visit discarded",
  "photo.discard": (p) => `${p.photos.length} photo${p.photos.length === 1 ? "" : "s"} taken off a visit`,
  "thread.read": (p) => `${p.job}: messages read`,
  "visit.start": (p) => `Visit started on ${label(p.equipment)}${p.job ? ` (${p.job})` : ""}`,
  "job.status": (p) => `${p.job} → ${p.status.replace("_", " ")}`,
  "job.on_the_way": (p) => `${p.job}: on my way`,
  "message.post": (p) => `Message on ${p.job}: ${p.body}`,
  "label.claim": (p) => `Label ${p.token} linked to a plotter`,
  "sop.signoff": (p) => `Signed off ${p.sop}, version ${p.version}`,
  "restock.request": (p) => `Van restock: ${p.lines.map((l) => `${l.quantity} × ${l.sku}`).join(", ")}`,
  "restock.receive": (p) => `Van restock received: ${p.lines.map((l) => `${l.quantity} × ${l.sku}`).join(", ")}`,
  "stock.movement": (p) => `Stock ${p.kind}: ${p.quantity} × ${p.sku}`,
};

function describe(op) {
  return (LABELS[op.type] ?? ((p) => op.type))(op.payload);
}

function editUrl(op) {
  if (op.type === "visit.amend") return `/visits/${op.payload.id}/edit#${new URLSearchParams({ edit: op.id })}`;
  if (op.type !== "visit.record") return null;
  const hash = new URLSearchParams({ plotter: op.payload.equipment, job: op.payload.job ?? "", id: op.payload.id, started: op.payload.started_at, edit: op.id });
  return `/visits/form/${op.meta?.sop || "none"}#${hash}`;
}

async function render() {
  const ops = await opsFor();
  for (const state of ["pending", "rejected"]) {
    const list = document.querySelector(`[data-ops="${state}"]`);
    const mine = ops.filter((op) => op.state === state);
    list.replaceChildren(...mine.map(row));
    document.querySelector(`[data-empty="${state}"]`).hidden = mine.length > 0;
  }
  const photos = (await photosFor()).length;
  if (photos) {
    const li = document.createElement("li");
    li.textContent = `${photos} photo${photos === 1 ? "" : "s"} to upload`;
    document.querySelector('[data-ops="pending"]').append(li);
    document.querySelector('[data-empty="pending"]').hidden = true;
  }
}

function row(op) {
  const li = document.createElement("li");
  li.className = "op";
  li.dataset.op = op.id;
  li.append(Object.assign(document.createElement("div"), { className: "op-what", textContent: describe(op) }));
  const when = new Date(op.created_at).toLocaleString(undefined, { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });
  li.append(Object.assign(document.createElement("div"), { className: "muted small", textContent: `Made ${when}${op.tries ? ` · ${op.tries} tr${op.tries === 1 ? "y" : "ies"}` : ""}` }));
  if (op.state === "rejected") {
    li.append(Object.assign(document.createElement("p"), { className: "error", textContent: op.reason }));
    const actions = document.createElement("div");
    actions.className = "btn-row";
    const url = editUrl(op);
    if (url) actions.append(Object.assign(document.createElement("a"), { className: "btn btn-small", href: url, textContent: "Correct and send" }));
    const retry = Object.assign(document.createElement("button"), { type: "button", className: "btn btn-secondary btn-small", textContent: "Send again" });
    retry.addEventListener("click", async () => {
      await retryNow(op.id);
      syncNow({ force: true });
    });
    const drop = Object.assign(document.createElement("button"), { type: "button", className: "btn btn-danger btn-small", textContent: "Discard" });
    drop.addEventListener("click", async () => {
      if (window.confirm(`Discard “${describe(op)}”? It will not be sent and cannot be recovered.`)) await discardWholly(op);
    });
    actions.append(retry, drop);
    li.append(actions);
  }
  return li;
}

// Discarding a visit leaves nothing behind: its photos leave the phone (or the server, if
// they were uploaded), and a visit started on the server is abandoned there.
async function discardWholly(op) {
  if (op.type === "visit.record" || op.type === "visit.amend") {
    const p = op.payload;
    const photos = [...p.photos, ...p.steps.map((s) => s.photo), p.signoff?.signature].filter(Boolean);
    const uploaded = [];
    for (const id of photos) {
      if (await localPhoto(id)) await remove("photos", id);
      else uploaded.push(id);
    }
    if (uploaded.length) await enqueue("photo.discard", { photos: uploaded });
    if (op.type === "visit.record") await enqueue("visit.abandon", { id: p.id });
  }
  await discard(op.id);
  syncNow({ force: true });
}

document.querySelector("[data-sync-now]")?.addEventListener("click", () => syncNow({ force: true }));
window.addEventListener(CHANGED, render);
window.addEventListener(SYNCED, render);
render();
