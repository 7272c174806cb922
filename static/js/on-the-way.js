// "On my way" on Today, with or without signal: the tap goes to the outbox (the customer is
// told when it reaches the server) and the button says so at once. Without the offline
// store it is a normal form post.

import { enqueue } from "./outbox.js";
import { currentUser } from "./store.js";

const time = new Intl.DateTimeFormat([], { hour: "2-digit", minute: "2-digit", hour12: false });

document.addEventListener("submit", async (event) => {
  const form = event.target.closest("form[data-on-the-way]");
  if (!form || !currentUser()) return;
  event.preventDefault();
  const at = new Date();
  await enqueue("job.on_the_way", { job: form.dataset.jobNumber, at: at.toISOString() });
  const note = document.createElement("span");
  note.className = "on-the-way-note";
  note.dataset.onTheWaySent = "";
  note.setAttribute("role", "status");
  note.textContent = `✓ On the way since ${time.format(at)}`;
  form.replaceWith(note);
});
