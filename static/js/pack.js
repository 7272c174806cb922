// The offline pack: fetched on sign-in, when the connection comes back and on demand, kept in
// IndexedDB with its ETag (an unchanged pack answers 304), and its pages put in the cache.

import { currentUser, getPack, put } from "./store.js";

export const PACK_LOADED = "fieldapp:pack-loaded";

export async function refreshPack({ user = currentUser() } = {}) {
  if (!user || !navigator.onLine) return getPack(user);
  const stored = await getPack(user);
  const headers = stored?.etag ? { "If-None-Match": stored.etag } : {};
  let response;
  try {
    response = await fetch("/api/v1/pack", { credentials: "same-origin", headers, cache: "no-store" });
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
  const pack = { user: String(user), etag: response.headers.get("ETag"), fetched_at: Date.now(), data };
  await put("packs", pack);
  await cachePages(data.urls);
  announce(pack);
  return pack;
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
