// Van restock on the phone: "Ask for restock" and "Confirm what arrived" go to the outbox as
// `restock.request` / `restock.receive` ops, so they work without signal, and say so: waiting
// to sync, sent, or refused with the server's reason. Each ask gets a new id made here (the
// page may be a saved copy), so two asks are two requests and a retry is the same one.
//
// Without JavaScript both are plain form posts to the same services.

import { CHANGED, enqueue, opsFor } from "./outbox.js";
import { currentUser } from "./store.js";
import { SYNCED, syncNow } from "./sync.js";

const ASK = "restock.request";
const RECEIVE = "restock.receive";

function wholeNumber(input) {
  const value = input.value.trim();
  return /^\d{1,6}$/.test(value) ? Number(value) : null;
}

function askPayload(form) {
  const lines = [];
  const problems = [];
  for (const input of form.querySelectorAll("input[data-sku]")) {
    const quantity = wholeNumber(input);
    if (quantity === null) problems.push(input);
    else if (quantity > 0) lines.push({ sku: input.dataset.sku, quantity });
  }
  const sku = form.querySelector("[data-extra-sku]").value.trim();
  const extra = form.querySelector("[data-extra-qty]");
  if (sku) {
    const quantity = wholeNumber(extra);
    if (!quantity) problems.push(extra);
    else lines.push({ sku, quantity });
  }
  return { lines, problems, note: form.querySelector('[name="note"]').value.trim() };
}

function say(form, text, kind = "info") {
  const line = form.querySelector("[data-restock-state]");
  line.hidden = false;
  line.textContent = text;
  line.dataset.kind = kind;
}

// What became of this page's ops: still waiting, refused (with why), or gone (taken).
async function showStates() {
  const ops = await opsFor();
  for (const form of document.querySelectorAll("[data-restock-ask], [data-restock-receive]")) {
    const sent = form.dataset.sentOp;
    if (!sent) continue;
    const op = ops.find((candidate) => candidate.id === sent);
    if (!op) say(form, form.dataset.doneText, "ok");
    else if (op.state === "rejected") say(form, `Not taken: ${op.reason}`, "error");
    else say(form, `${form.dataset.waitText} Waiting to sync: it goes when the phone has signal.`);
  }
}

// Into the outbox; true once it is there. Without storage on this phone (enqueue fails) the
// caller posts the plain form instead; once the op is stored nothing posts it a second time.
async function send(form, type, payload, waitText, doneText) {
  let op;
  try {
    op = await enqueue(type, payload, { meta: { title: waitText } });
  } catch (error) {
    console.error("restock outbox", error);
    return false;
  }
  form.dataset.sentOp = op.id;
  form.dataset.waitText = waitText;
  form.dataset.doneText = doneText;
  try {
    await showStates();
    if (navigator.onLine) syncNow();
  } catch (error) {
    console.error("restock state", error); // the op is stored: the next sync sends it
  }
  return true;
}

function start() {
  if (!currentUser()) return;
  document.addEventListener("submit", async (event) => {
    const ask = event.target.closest("[data-restock-ask]");
    const receive = event.target.closest("[data-restock-receive]");
    if (!ask && !receive) return;
    event.preventDefault();
    const form = ask || receive;
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      if (ask) {
        const { lines, problems, note } = askPayload(ask);
        if (problems.length) {
          problems[0].focus();
          say(ask, "Enter whole numbers (0 leaves a part out).", "error");
          return;
        }
        if (!lines.length) {
          say(ask, "Ask for at least one part.", "error");
          return;
        }
        const count = lines.reduce((sum, line) => sum + line.quantity, 0);
        if (!(await send(ask, ASK, { id: crypto.randomUUID(), lines, note },
          `Asked for ${count} part${count === 1 ? "" : "s"}.`, `The office has your request for ${count} part${count === 1 ? "" : "s"}.`))) ask.submit();
      } else {
        const lines = [];
        for (const input of receive.querySelectorAll("input[data-sku]")) {
          const quantity = wholeNumber(input);
          if (quantity === null || quantity > Number(input.max)) {
            input.focus();
            say(receive, `Enter 0 to ${input.max}.`, "error");
            return;
          }
          lines.push({ sku: input.dataset.sku, quantity });
        }
        if (!(await send(receive, RECEIVE, { request: receive.dataset.request, lines },
          "Receipt recorded.", "Receipt confirmed: the van's counts are up to date."))) receive.submit();
      }
    } finally {
      button.disabled = false;
    }
  });
  for (const name of [CHANGED, SYNCED]) window.addEventListener(name, () => showStates());
}

start();
