// A tech's message on a job goes to the outbox first: it is kept on the phone, shown at once
// as "waiting to sync", and sent when there is signal. The office (on a desk) posts directly.

import { CHANGED, enqueue, keepPhoto, opsFor } from "./outbox.js";
import { downscale } from "./photos.js";
import { SYNCED, syncNow } from "./sync.js";

const form = document.querySelector("form[data-message-form]");
if (form && document.body.classList.contains("role-tech")) enhance(form);

function pendingItem(op) {
  const item = document.createElement("li");
  item.className = "msg msg-mine msg-pending";
  item.dataset.pendingMessage = op.payload.id;
  const head = document.createElement("div");
  head.className = "msg-head";
  head.append(
    Object.assign(document.createElement("strong"), { textContent: "You" }),
    Object.assign(document.createElement("span"), {
      className: `badge ${op.state === "rejected" ? "badge-rejected" : "badge-pending"}`,
      textContent: op.state === "rejected" ? `Not sent: ${op.reason}` : "Waiting to sync",
    }),
  );
  const body = Object.assign(document.createElement("div"), { className: "msg-body pre", textContent: op.payload.body });
  item.append(head, body);
  return item;
}

function threadList() {
  let list = document.querySelector("ol.thread");
  if (!list) {
    list = document.createElement("ol");
    list.className = "thread";
    const empty = document.querySelector(".empty");
    (empty ?? form).before(list);
    empty?.remove();
  }
  return list;
}

async function showPending(job) {
  const ops = (await opsFor()).filter((op) => op.type === "message.post" && op.payload.job === job);
  // No await from here on: two refreshes at once must not both add the same messages.
  document.querySelectorAll("[data-pending-message]").forEach((el) => el.remove());
  if (!ops.length) return;
  const list = threadList();
  for (const op of ops) {
    if (!document.getElementById(`m-${op.payload.id}`)) list.append(pendingItem(op));
  }
}

function enhance(form) {
  const job = form.dataset.job;
  const text = form.querySelector("textarea[name=body]");
  const files = form.querySelector("input[name=photos]");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = text.value.trim();
    if (!body) {
      text.setCustomValidity("Write a message before sending.");
      text.reportValidity();
      text.setCustomValidity("");
      return;
    }
    const photos = [];
    for (const file of [...(files?.files ?? [])]) photos.push(await keepPhoto(await downscale(file)));
    const id = form.elements.id.value || crypto.randomUUID();
    await enqueue("message.post", { id, job, body, photos });
    form.reset();
    form.elements.id.value = crypto.randomUUID(); // the next message is a new one
    await showPending(job);
    syncNow({ force: true });
  });
  showPending(job);
  window.addEventListener(CHANGED, () => showPending(job));
  window.addEventListener(SYNCED, async () => {
    const shown = [...document.querySelectorAll("[data-pending-message]")];
    await showPending(job);
    // Sent: reload the thread from the server (it now holds the messages), if we can.
    if (shown.length > document.querySelectorAll("[data-pending-message]").length && navigator.onLine) location.reload();
  });
}
