// Training sign-off on the phone. "I have read and understood version N" goes to the outbox
// as a `sop.signoff` op, so it works without signal, and shows as waiting to sync until the
// server has it. Today's "New procedure to read", the SOP page's sign-off and the visit start
// notice all read one state per version, from what the phone knows:
//
//   the outbox      a sign-off op still there is waiting (or was refused: "needs attention")
//   the pack        `signed` names the newest version of each SOP the server has signed
//   this phone      sign-offs made here (meta "signoffs:<user>"), so one that has synced still
//                   reads as signed before the next pack says so
//
// Without JavaScript every button is a form post and every link a page; this only adds the
// offline path and keeps saved pages (served by the service worker) truthful.

import { CHANGED, enqueue, opsFor } from "./outbox.js";
import { PACK_LOADED, refreshPack } from "./pack.js";
import { currentUser, getMeta, getPack, setMeta } from "./store.js";
import { SYNCED, syncNow } from "./sync.js";

const OP = "sop.signoff";
// A sign-off that left the outbox but is still missing from a pack fetched this long after
// was never taken (discarded on the sync page): the version reads as unsigned again.
const GRACE_MS = 60_000;

const mark = (slug, number) => `${slug}@${number}`;
const metaKey = (user) => `signoffs:${user}`;

function formatDay(iso) {
  return new Date(iso).toLocaleDateString(undefined, { month: "short", day: "numeric", year: "numeric" });
}

// What the phone knows now: a function (slug, number) -> {state, at, reason}, state one of
// "signed" | "waiting" | "rejected" | "unsigned"; and the pack (for Today's list).
async function readState() {
  const user = currentUser();
  if (!user) return { stateOf: () => ({ state: "unknown" }), pack: null };
  const [pack, ops, stored] = await Promise.all([getPack(user), opsFor(user), getMeta(metaKey(user))]);
  const signed = pack?.data?.signed ?? {};
  const mine = { ...(stored ?? {}) };
  const waiting = new Map(ops.filter((op) => op.type === OP).map((op) => [mark(op.payload.sop, op.payload.version), op]));
  let changed = false;
  for (const [key, entry] of Object.entries(mine)) {
    const [slug, number] = [key.slice(0, key.lastIndexOf("@")), Number(key.slice(key.lastIndexOf("@") + 1))];
    if ((signed[slug] ?? 0) >= number) {
      delete mine[key]; // the server has it: the pack speaks for it from now on
      changed = true;
    } else if (!waiting.has(key) && !entry.sent) {
      entry.sent = Date.now(); // left the outbox: the server took it (or it was discarded)
      changed = true;
    } else if (!waiting.has(key) && pack && pack.fetched_at > entry.sent + GRACE_MS) {
      delete mine[key];
      changed = true;
    }
  }
  if (changed) await setMeta(metaKey(user), mine);
  const stateOf = (slug, number) => {
    const key = mark(slug, number);
    const op = waiting.get(key);
    if (op) return { state: op.state === "rejected" ? "rejected" : "waiting", at: op.payload.at ?? op.created_at, reason: op.reason };
    if ((signed[slug] ?? 0) >= number) return { state: "signed", at: null };
    if (mine[key]) return { state: "signed", at: mine[key].at };
    return { state: "unsigned" };
  };
  return { stateOf, pack };
}

// Reads and writes of this phone's sign-offs run one after another, never interleaved.
let queue = Promise.resolve();

function serially(task) {
  const run = queue.then(task);
  queue = run.catch(() => {});
  return run;
}

export async function signOff(slug, number, title) {
  const user = currentUser();
  if (!user) return false;
  const at = new Date().toISOString();
  const op = await enqueue(OP, { sop: slug, version: number, at }, { meta: { title } });
  await serially(async () => {
    const mine = (await getMeta(metaKey(user))) ?? {};
    mine[mark(slug, number)] = { op: op.id, at, sent: null };
    await setMeta(metaKey(user), mine);
  });
  syncNow({ force: true });
  return true;
}

// --- the sign-off block (SOP page, visit notice) ---------------------------------------------

function showBlock(block, known) {
  const number = block.dataset.version;
  const form = block.querySelector("[data-signoff-form]");
  const ask = block.querySelector("[data-signoff-ask]");
  const done = block.querySelector("[data-signoff-done]");
  const line = block.querySelector("[data-signoff-state]");
  // Signed on the server when the page was drawn: nothing the phone knows can undo that.
  const state = block.dataset.signedAt ? "signed" : known.state;
  block.dataset.state = state;
  const signedNow = state !== "unsigned" && state !== "unknown";
  if (form) form.hidden = signedNow;
  if (ask) ask.hidden = signedNow;
  block.classList.toggle("is-signed", state === "signed");
  block.classList.toggle("is-waiting", state === "waiting");
  block.classList.toggle("is-rejected", state === "rejected");
  if (state === "signed" && !block.dataset.signedAt) {
    done.hidden = false;
    done.querySelector("[data-signoff-done-text]").textContent = `You signed off version ${number}${known.at ? ` on ${formatDay(known.at)}` : ""}.`;
  }
  if (state === "waiting") {
    line.replaceChildren(
      Object.assign(document.createElement("span"), { className: "badge badge-pending", textContent: "Waiting to sync" }),
      ` You signed off version ${number} on this phone on ${formatDay(known.at)}. It reaches the office when the phone is back online.`,
    );
  } else if (state === "rejected") {
    const link = Object.assign(document.createElement("a"), { href: "/sync", textContent: "Open Sync" });
    line.replaceChildren(
      Object.assign(document.createElement("span"), { className: "badge badge-rejected", textContent: "Not accepted" }),
      ` The server did not take this sign-off: ${known.reason ?? "no reason given"}. `,
      link,
    );
  } else if (line.childNodes.length) {
    line.replaceChildren();
  }
}

// --- the visit start notice ------------------------------------------------------------------

function chosenVersion() {
  return document.querySelector('input[name="sop_version"]:checked')?.value ?? null;
}

function showNotices() {
  const notices = [...document.querySelectorAll("[data-sop-notice]")];
  const picker = document.querySelector('input[name="sop_version"]');
  const chosen = picker ? chosenVersion() : null;
  for (const notice of notices) {
    const block = notice.querySelector("[data-signoff]");
    // Signed before this page: no notice. Signed here: it stays, saying what became of it.
    const alreadySigned = block?.dataset.state === "signed" && !("signedHere" in notice.dataset);
    const picked = !picker || notice.dataset.for === chosen;
    notice.hidden = !picked || alreadySigned;
  }
}

// --- Today: "New procedure to read" ----------------------------------------------------------

function listItem(sop) {
  const item = document.createElement("li");
  item.dataset.sop = sop.slug;
  item.dataset.version = String(sop.version);
  item.dataset.fromPack = "";
  const link = Object.assign(document.createElement("a"), { className: "to-read-item", href: `/sops/${encodeURIComponent(sop.slug)}/v${sop.version}` });
  link.append(
    Object.assign(document.createElement("span"), { className: "to-read-title", textContent: sop.title }),
    Object.assign(document.createElement("span"), { className: "to-read-meta", textContent: `Version ${sop.version}` }),
    Object.assign(document.createElement("span"), { className: "to-read-state", hidden: true }),
  );
  link.lastElementChild.dataset.signoffState = "";
  item.append(link);
  return item;
}

function showToRead(section, { stateOf, pack }) {
  const list = section.querySelector("[data-to-read-list]");
  // Versions the offline pack knows that this (perhaps saved) page does not list yet.
  if (pack?.data?.user?.role === "tech") {
    for (const sop of pack.data.sops ?? []) {
      const listed = list.querySelector(`li[data-sop="${CSS.escape(sop.slug)}"]`);
      if (listed && Number(listed.dataset.version) >= sop.version) continue;
      if (stateOf(sop.slug, sop.version).state !== "unsigned") continue;
      listed?.remove(); // an older version of the same SOP: the newer one replaces it
      list.append(listItem(sop));
    }
  }
  let shown = 0;
  for (const item of list.querySelectorAll("li[data-sop]")) {
    const known = stateOf(item.dataset.sop, Number(item.dataset.version));
    const line = item.querySelector("[data-signoff-state]");
    item.hidden = known.state === "signed";
    item.dataset.state = known.state;
    if (known.state === "waiting") {
      line.hidden = false;
      line.replaceChildren(Object.assign(document.createElement("span"), { className: "badge badge-pending", textContent: "Signed off · waiting to sync" }));
    } else if (known.state === "rejected") {
      line.hidden = false;
      line.replaceChildren(Object.assign(document.createElement("span"), { className: "badge badge-rejected", textContent: "Sign-off not accepted: see Sync" }));
    } else {
      line.hidden = true;
    }
    if (!item.hidden) shown += 1;
  }
  section.hidden = shown === 0;
  const heading = section.querySelector("[data-to-read-heading]");
  if (heading) heading.textContent = shown > 1 ? "New procedures to read" : "New procedure to read";
}

// --- wiring ----------------------------------------------------------------------------------

function render() {
  return serially(async () => {
    const known = await readState();
    for (const block of document.querySelectorAll("[data-signoff]")) {
      showBlock(block, known.stateOf(block.dataset.sop, Number(block.dataset.version)));
    }
    showNotices();
    for (const section of document.querySelectorAll("[data-to-read]")) showToRead(section, known);
  }).catch((error) => console.error("sign-off state", error));
}

// After a sync that took sign-offs, fetch the pack again: it then names them as signed.
async function afterSync() {
  const user = currentUser();
  const mine = (await getMeta(metaKey(user))) ?? {};
  await render();
  if (Object.keys(mine).length && navigator.onLine) await refreshPack();
}

let started = false;

function start() {
  if (started || !currentUser()) return;
  started = true;
  document.addEventListener("submit", async (event) => {
    const form = event.target.closest("[data-signoff-form]");
    if (!form) return;
    event.preventDefault();
    const block = form.closest("[data-signoff]");
    const button = form.querySelector("button");
    button.disabled = true;
    try {
      const notice = block.closest("[data-sop-notice]");
      if (notice) notice.dataset.signedHere = "";
      if (!(await signOff(block.dataset.sop, Number(block.dataset.version), block.dataset.title))) form.submit();
      await render();
    } catch (error) {
      console.error("sign-off", error);
      form.submit(); // no storage on this phone: the plain form post still signs it off online
    } finally {
      button.disabled = false;
    }
  });
  document.addEventListener("change", (event) => {
    if (event.target.matches('input[name="sop_version"]')) showNotices();
  });
  for (const name of [CHANGED, PACK_LOADED, "online", "offline"]) window.addEventListener(name, () => render());
  window.addEventListener(SYNCED, () => afterSync());
  render();
}

start();
