// The outbox: every write the tech makes goes here first (IndexedDB), then to the server.
// Ops keep their client-made id through every retry, so the server can tell a retry from a
// new write. Nothing leaves the outbox until the server said "applied" or "duplicate";
// a rejected op stays, with the server's reason, until the tech edits or discards it.

import { allFor, currentUser, get, put, remove } from "./store.js";

export const CHANGED = "fieldapp:outbox-changed";

function announce() {
  window.dispatchEvent(new CustomEvent(CHANGED));
}

// meta: what the phone needs to show or correct the op later (never sent to the server).
export async function enqueue(type, payload, { user = currentUser(), replaces = null, meta = {} } = {}) {
  if (!user) throw new Error("not signed in");
  const op = {
    id: crypto.randomUUID(),
    user: String(user),
    type,
    payload,
    meta,
    state: "pending",
    created_at: new Date().toISOString(),
    tries: 0,
    next_try: 0,
  };
  await put("ops", op);
  if (replaces) await remove("ops", replaces);
  announce();
  return op;
}

// Ops of a user, oldest first: the server applies them in the order they were made.
export async function opsFor(user = currentUser()) {
  if (!user) return [];
  const ops = await allFor("ops", user);
  return ops.sort((a, b) => a.created_at.localeCompare(b.created_at));
}

export async function pending(user = currentUser()) {
  return (await opsFor(user)).filter((op) => op.state === "pending");
}

export async function rejected(user = currentUser()) {
  return (await opsFor(user)).filter((op) => op.state === "rejected");
}

export async function settle(op, result) {
  if (result.status === "applied" || result.status === "duplicate") {
    await remove("ops", op.id);
  } else {
    await put("ops", { ...op, state: "rejected", reason: result.reason ?? "Refused", fields: result.fields ?? {} });
  }
}

export async function retryLater(op, delay) {
  await put("ops", { ...op, tries: op.tries + 1, next_try: Date.now() + delay });
}

export async function retryNow(id) {
  const op = await get("ops", id);
  if (!op) return;
  await put("ops", { ...op, state: "pending", tries: 0, next_try: 0, reason: undefined, fields: undefined });
  announce();
}

export async function discard(id) {
  await remove("ops", id);
  announce();
}

// Photos taken offline wait here (as blobs) until they are uploaded; ops refer to their ids.
export async function keepPhoto(blob, kind = "photo", user = currentUser()) {
  const id = crypto.randomUUID();
  await put("photos", { id, user: String(user), kind, blob, created_at: new Date().toISOString() });
  announce();
  return id;
}

export async function photosFor(user = currentUser()) {
  return user ? allFor("photos", user) : [];
}

export async function photoDone(id) {
  await remove("photos", id);
}

export async function localPhoto(id) {
  return get("photos", id);
}
