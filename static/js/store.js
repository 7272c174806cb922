// The phone's own storage (IndexedDB): the offline pack, the outbox of ops, and photos
// waiting to upload. Everything is keyed by the signed-in user, so a second person signing
// in on the same phone neither sees nor sends the first one's work.
//
//   packs   {user, etag, fetched_at, data}            key: user
//           data: the pack as last received whole, with every delta since applied to it
//           (pack.js); data.cursor is what the next request sends as ?since=
//   ops     {id, user, type, payload, state, created_at, tries, next_try, reason, fields}
//           state: "pending" | "rejected"              key: id, index: user
//   photos  {id, user, kind, blob, created_at}        key: id, index: user (deleted once uploaded)
//   meta    {key, value}                               small facts, e.g. "last-sync:<user>"

const NAME = "fieldapp";
const VERSION = 2;
let opening = null;

export function openStore() {
  opening ??= new Promise((resolve, reject) => {
    const request = indexedDB.open(NAME, VERSION);
    request.onupgradeneeded = (event) => {
      const db = request.result;
      if (event.oldVersion < 1) {
        db.createObjectStore("packs", { keyPath: "user" });
        db.createObjectStore("ops", { keyPath: "id" }).createIndex("user", "user");
        db.createObjectStore("photos", { keyPath: "id" }).createIndex("user", "user");
      }
      if (event.oldVersion < 2) db.createObjectStore("meta", { keyPath: "key" });
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
    request.onblocked = () => reject(new Error("storage is blocked by another tab"));
  });
  return opening;
}

function done(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function store(name, mode = "readonly") {
  const db = await openStore();
  return db.transaction(name, mode).objectStore(name);
}

export async function get(name, key) {
  return done((await store(name)).get(key));
}

export async function put(name, value) {
  return done((await store(name, "readwrite")).put(value));
}

export async function remove(name, key) {
  return done((await store(name, "readwrite")).delete(key));
}

export async function allFor(name, user) {
  return done((await store(name)).index("user").getAll(IDBKeyRange.only(String(user))));
}

export async function getMeta(key) {
  return (await get("meta", key))?.value;
}

export async function setMeta(key, value) {
  return put("meta", { key, value });
}

export async function getPack(user) {
  return get("packs", String(user));
}

// The signed-in user, as the page says (the sync status element carries it).
export function currentUser() {
  return document.getElementById("sync-status")?.dataset.user ?? null;
}
