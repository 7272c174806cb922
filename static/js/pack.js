// The offline pack: fetched on sign-in, when the connection comes back and on demand, kept in
// IndexedDB. The first time (or when the server says the phone's copy is too old) the pack
// comes whole, with an ETag (an unchanged pack answers 304); after that the phone sends the
// cursor its copy came with (?since=) and gets only what changed: records to put in place of
// the ones it has (or add), ids of records to drop, and the next cursor. Its pages are put in
// the cache either way.

import { currentUser, getPack, put } from "./store.js";

export const PACK_LOADED = "fieldapp:pack-loaded";

export async function refreshPack({ user = currentUser() } = {}) {
  if (!user || !navigator.onLine) return getPack(user);
  const stored = await getPack(user);
  const cursor = stored?.data?.cursor;
  let response;
  try {
    response = await fetchPack(cursor, stored?.etag);
    // A cursor the server no longer reads (400): ask for the whole pack instead.
    if (response.status === 400 && cursor) response = await fetchPack(null, null);
  } catch {
    return stored; // the signal dropped meanwhile: keep what we have
  }
  if (response.status === 304 && stored) {
    stored.fetched_at = Date.now();
    await put("packs", stored);
    await cachePages(stored.data.urls);
    announce(stored);
    return stored;
  }
  if (!response.ok) return stored;
  const data = await response.json();
  const pack =
    data.delta && stored
      ? { ...stored, etag: null, fetched_at: Date.now(), data: applyDelta(stored.data, data) }
      : { user: String(user), etag: response.headers.get("ETag"), fetched_at: Date.now(), data };
  await put("packs", pack);
  await cachePages(pack.data.urls);
  announce(pack);
  return pack;
}

function fetchPack(cursor, etag) {
  const url = cursor ? `/api/v1/pack?since=${encodeURIComponent(cursor)}` : "/api/v1/pack";
  const headers = !cursor && etag ? { "If-None-Match": etag } : {};
  return fetch(url, { credentials: "same-origin", headers, cache: "no-store" });
}

// What the pack holds after a delta: each changed record in place of the one with its key
// (or added), each removed one dropped, the small per-person parts replaced whole.
export function applyDelta(data, delta) {
  const removed = delta.removed ?? {};
  const next = {
    ...data,
    // In the full pack's order (pack.py's ORDER BYs), new records among the others.
    equipment: sortedBy(merged(data.equipment, delta.equipment, removed.equipment, "id"), (p) => [p.customer?.name ?? "", p.id]),
    jobs: merged(data.jobs, delta.jobs, removed.jobs, "number"),
    sops: sortedBy(merged(data.sops, delta.sops, removed.sops, "id"), (sop) => [sop.category, sop.title, sop.id]),
    parts: sortedBy(merged(data.parts, delta.parts, removed.parts, "id"), (part) => [part.name, part.id]),
  };
  if (delta.job_order) {
    // The tech's open jobs in the server's order; one not among them is no longer theirs
    // (the delta names no job that left: it would name other techs' jobs too).
    const rank = new Map(delta.job_order.map((number, index) => [number, index]));
    next.jobs = next.jobs.filter((job) => rank.has(job.number)).sort((a, b) => rank.get(a.number) - rank.get(b.number));
  }
  for (const key of ["generated_at", "cursor", "user", "signed", "has_van", "urls", "rules", "van"]) {
    if (key in delta) next[key] = delta[key];
  }
  return next;
}

function sortedBy(records, keys) {
  const compare = (a, b) => {
    const [x, y] = [keys(a), keys(b)];
    for (let i = 0; i < x.length; i += 1) {
      if (x[i] < y[i]) return -1;
      if (x[i] > y[i]) return 1;
    }
    return 0;
  };
  return records.sort(compare);
}

function merged(records = [], changed = [], removed = [], key) {
  const gone = new Set(removed.map(String));
  const fresh = new Map(changed.map((record) => [String(record[key]), record]));
  const kept = [];
  for (const record of records) {
    const id = String(record[key]);
    if (gone.has(id)) continue;
    kept.push(fresh.get(id) ?? record);
    fresh.delete(id);
  }
  return [...kept, ...fresh.values()];
}

async function cachePages(urls) {
  try {
    const { cacheUrls } = await import("./sw-register.js");
    if (typeof cacheUrls === "function") await cacheUrls(urls);
  } catch {
    // No service worker (old browser, private mode): the pack still works from IndexedDB.
  }
}

function announce(pack) {
  window.dispatchEvent(new CustomEvent(PACK_LOADED, { detail: pack }));
  describe(pack);
}

export function summary(pack) {
  if (!pack) return "Not ready for offline yet";
  const minutes = Math.round((Date.now() - pack.fetched_at) / 60_000);
  const age = minutes < 1 ? "just now" : minutes < 60 ? `${minutes} min ago` : `${Math.round(minutes / 60)} h ago`;
  const plotters = pack.data.equipment.length;
  const sops = pack.data.sops.length;
  return `Offline ready: ${plotters} plotter${plotters === 1 ? "" : "s"}, ${sops} SOP${sops === 1 ? "" : "s"}, updated ${age}`;
}

// Any element with [data-pack-summary] shows how fresh the offline pack is.
export async function describe(pack = null) {
  pack ??= await getPack(currentUser());
  for (const el of document.querySelectorAll("[data-pack-summary]")) el.textContent = summary(pack);
  for (const el of document.querySelectorAll("[data-refresh-pack][hidden]")) el.hidden = false;
}

const STALE_AFTER = 15 * 60_000;
export const JUST_SIGNED_IN = "fieldapp:just-signed-in";

// Refresh on sign-in (the sign-in form leaves a mark), when the pack is missing or stale,
// when the connection comes back, and when the tech asks.
export async function startPack() {
  describe();
  const stored = await getPack(currentUser());
  const signedIn = sessionStorage.getItem(JUST_SIGNED_IN);
  sessionStorage.removeItem(JUST_SIGNED_IN);
  if (signedIn || !stored || Date.now() - stored.fetched_at > STALE_AFTER) refreshPack();
  window.addEventListener("online", () => refreshPack());
  document.addEventListener("click", (event) => {
    if (event.target.closest("[data-refresh-pack]")) refreshPack();
  });
}
