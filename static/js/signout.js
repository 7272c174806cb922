// Signing out with work still waiting: warn, and keep it on the phone for this user. It is
// sent when they sign in again; another user on this phone neither sees nor sends it.
// Notifications on this browser stop too: the next person here must not see this user's.

import { opsFor, photosFor } from "./outbox.js";
import { csrfToken } from "./photos.js";

async function stopNotifications() {
  try {
    const registration = await navigator.serviceWorker?.getRegistration();
    const subscription = await registration?.pushManager?.getSubscription();
    if (!subscription) return;
    await fetch("/api/v1/push/subscriptions", {
      method: "DELETE",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify({ endpoint: subscription.endpoint }),
    });
    await subscription.unsubscribe();
  } catch {
    // Offline: the browser's subscription stays, and the next sign-in's "Turn on" takes it over.
  }
}

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
      await stopNotifications();
      form.dataset.confirmed = "1";
      form.requestSubmit();
    }
  });
}
