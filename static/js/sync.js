// Sending the outbox: photos first (idempotent PUTs under their own ids), then the ops in
// batches. Retries back off exponentially with jitter; a sync runs on load, when the phone
// comes back online and on demand. Only the signed-in user's work is ever sent.

import { fetchWithCsrf } from "./photos.js";
import { CHANGED, opsFor, pending, photoDone, photosFor, retryLater, settle } from "./outbox.js";
import { currentUser, getMeta, setMeta } from "./store.js";

const BATCH = 50;
const BASE_DELAY = 2_000;
const MAX_DELAY = 5 * 60_000;
export const SYNCED = "fieldapp:synced";
// Ops that only accompany the tech's work: not counted in the status.
const QUIET = new Set(["thread.read", "photo.discard", "visit.abandon"]);

let running = null;
let queued = null;
let timer = null;

export function backoff(tries) {
  const ceiling = Math.min(MAX_DELAY, BASE_DELAY * 2 ** tries);
  return ceiling / 2 + Math.random() * (ceiling / 2); // "equal jitter": never zero, never in step
}

async function lastSync(user) {
  return (await getMeta(`last-sync:${user}`)) ?? null;
}

async function uploadPhotos(user) {
  for (const photo of await photosFor(user)) {
    const response = await fetchWithCsrf(`/api/v1/photos/${photo.id}?kind=${photo.kind}`, {
      method: "PUT",
      headers: { "Content-Type": photo.blob.type || "image/jpeg" },
      body: photo.blob,
    });
    if (response.ok) {
      await photoDone(photo.id);
    } else if (response.status === 422 || response.status === 413) {
      // The server will never take this photo; the op that needs it is rejected with the reason.
      await photoDone(photo.id);
    } else {
      throw new Error(`photo upload: HTTP ${response.status}`);
    }
  }
}

async function sendBatch(ops) {
  const response = await fetchWithCsrf("/api/v1/sync", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ ops: ops.map(({ id, type, payload }) => ({ id, type, payload })) }),
  });
  if (response.status === 401) throw Object.assign(new Error("signed out"), { signedOut: true });
  if (!response.ok) throw new Error(`sync: HTTP ${response.status}`);
  return (await response.json()).results;
}

// force: the tech asked ("Sync now") or the phone came back online, so ops waiting out a
// back-off go too. A forced sync asked for while a run is under way (one that may have found
// nothing due yet) runs right after it: it is never swallowed by the run in progress.
export function syncNow({ force = false } = {}) {
  if (!running) {
    running = run(force).finally(() => {
      running = null;
    });
    return running;
  }
  if (!force) return running;
  queued ??= running.then(() => {
    queued = null;
    return syncNow({ force: true });
  });
  return queued;
}

async function run(force) {
  const user = currentUser();
  if (!user || !navigator.onLine) return render();
  // The queue backs off as a whole: a later op must never overtake an earlier one (a visit
  // finishing its job before the job was started would be refused).
  const due = await pending(user);
  const photos = (await photosFor(user)).length;
  const wakeUp = due.length ? Math.min(...due.map((op) => op.next_try)) : 0;
  if ((!due.length && !photos) || (!force && wakeUp > Date.now())) {
    if (due.length) schedule(Math.max(500, wakeUp - Date.now()));
    return render();
  }
  try {
    await uploadPhotos(user);
    for (let start = 0; start < due.length; start += BATCH) {
      const batch = due.slice(start, start + BATCH);
      const results = await sendBatch(batch);
      const byId = new Map(results.map((result) => [result.id, result]));
      for (const op of batch) {
        const result = byId.get(op.id);
        if (!result) continue;
        // What a visit led to (its job, follow-up jobs), for the confirmation after Finish.
        if (result.data && op.type.startsWith("visit.")) await setMeta(`visit-result:${op.payload.id}`, result.data);
        await settle(op, result);
      }
    }
    await setMeta(`last-sync:${user}`, new Date().toISOString());
    window.dispatchEvent(new CustomEvent(SYNCED));
  } catch (error) {
    // The server or the network failed: nothing was lost; try again later, a bit later each time.
    const left = await pending(user);
    const tries = Math.max(0, ...left.map((op) => op.tries));
    for (const op of left) await retryLater(op, backoff(tries));
    schedule(backoff(tries));
    render(error.signedOut ? "Signed out: sign in again to send your work." : null);
    return;
  }
  render();
  const left = await pending(user);
  if (left.length) schedule(Math.max(500, Math.min(...left.map((op) => op.next_try)) - Date.now()));
}

function schedule(delay) {
  clearTimeout(timer);
  timer = setTimeout(() => syncNow(), delay);
}

function ago(iso) {
  if (!iso) return "never";
  const minutes = Math.round((Date.now() - Date.parse(iso)) / 60_000);
  if (minutes < 1) return "just now";
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  return hours < 24 ? `${hours} h ago` : `${Math.round(hours / 24)} days ago`;
}

// The indicator in the top bar: online or offline, what waits, when the last sync was.
export async function render(problem = null) {
  const box = document.getElementById("sync-status");
  if (!box) return;
  const user = currentUser();
  // What the tech made (a visit, a message), not its parts: photos and read marks ride along.
  const ops = (await opsFor(user)).filter((op) => !QUIET.has(op.type));
  const waiting = ops.filter((op) => op.state === "pending").length;
  const attention = ops.filter((op) => op.state === "rejected").length;
  const online = navigator.onLine;
  box.dataset.state = !online ? "offline" : attention ? "attention" : waiting ? "pending" : "synced";
  box.dataset.pending = String(waiting);
  const parts = online ? [] : ["Offline"];
  if (waiting) parts.push(`${waiting} waiting to sync`);
  if (attention) parts.push(`${attention} need${attention === 1 ? "s" : ""} attention`);
  if (!waiting && !attention) parts.push(online ? "Online · all synced" : "all synced");
  const link = document.createElement("a");
  link.href = "/sync";
  link.className = "sync-link";
  link.textContent = parts.join(" · ");
  link.title = `Last sync ${ago(await lastSync(user))}`;
  box.replaceChildren(link);
  if (problem) box.append(Object.assign(document.createElement("span"), { className: "sync-problem", textContent: problem }));
}

export function startSync() {
  window.addEventListener("online", () => syncNow({ force: true }));
  window.addEventListener("offline", () => render());
  window.addEventListener(CHANGED, () => {
    render();
    syncNow();
  });
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") syncNow({ force: true });
  });
  syncNow();
}
