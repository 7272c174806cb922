// Signing out with work still waiting: warn, and keep it on the phone for this user. It is
// sent when they sign in again; another user on this phone neither sees nor sends it.

import { opsFor, photosFor } from "./outbox.js";

export function guardSignOut() {
  document.addEventListener("submit", async (event) => {
    const form = event.target.closest("form[data-signout]");
    if (!form || form.dataset.confirmed) return;
    event.preventDefault();
    const waiting = (await opsFor()).length + (await photosFor()).length;
    const message =
      `${waiting} item${waiting === 1 ? " is" : "s are"} not sent yet. ` +
      "They stay on this phone and are sent when you sign in again. Sign out anyway?";
    if (waiting === 0 || window.confirm(message)) {
      form.dataset.confirmed = "1";
      form.requestSubmit();
    }
  });
}
