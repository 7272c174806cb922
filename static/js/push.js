// Notifications on this browser: ask the browser's permission, subscribe with the server's
// key and send the subscription; or turn them off. A browser without push, or a permission
// the user blocked, is explained instead of a button that does nothing.

import { csrfToken } from "./photos.js";

const card = document.querySelector("[data-push]");
const device = card?.dataset.device ?? "browser";

function say(text) {
  card.querySelector("[data-push-state]").textContent = text;
}

function show(on) {
  card.querySelector("[data-push-on]").hidden = on;
  card.querySelector("[data-push-off]").hidden = !on;
}

function keyBytes(base64url) {
  const padded = base64url.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(base64url.length / 4) * 4, "=");
  return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
}

async function send(method, body) {
  const response = await fetch("/api/v1/push/subscriptions", {
    method,
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`the server answered ${response.status}`);
}

const BLOCKED =
  "Notifications are blocked for FieldApp in this browser. To get them, allow notifications in the site's settings (the lock or info icon by the address), then reload this page.";

async function current() {
  const registration = await navigator.serviceWorker.ready;
  return [registration, await registration.pushManager.getSubscription()];
}

async function turnOn() {
  const permission = await Notification.requestPermission();
  if (permission !== "granted") {
    if (permission === "denied") card.querySelector("[data-push-on]").hidden = true;
    say(permission === "denied" ? BLOCKED : "Notifications stay off: the browser's question was closed without an answer.");
    return;
  }
  say("Turning notifications on…");
  try {
    const [registration, existing] = await current();
    const subscription =
      existing ??
      (await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(card.dataset.key) }));
    await send("POST", subscription.toJSON());
    show(true);
    say(`Notifications are on for this ${device}.`);
  } catch (error) {
    say(`Notifications could not be turned on (${error.message}). Check the signal and try again.`);
  }
}

async function turnOff() {
  try {
    const [, subscription] = await current();
    if (subscription) {
      await send("DELETE", { endpoint: subscription.endpoint });
      await subscription.unsubscribe();
    }
    show(false);
    say(`Notifications are off for this ${device}.`);
  } catch (error) {
    say(`Notifications could not be turned off (${error.message}). Check the signal and try again.`);
  }
}

async function start() {
  if (!("serviceWorker" in navigator) || !("PushManager" in window) || !("Notification" in window)) {
    say(
      /iPhone|iPad/.test(navigator.userAgent)
        ? "On an iPhone, add FieldApp to the Home Screen (Share, then Add to Home Screen) and open it from there to turn notifications on."
        : "This browser cannot show notifications.",
    );
    return;
  }
  card.querySelector("[data-push-on]").addEventListener("click", turnOn);
  card.querySelector("[data-push-off]").addEventListener("click", turnOff);
  if (Notification.permission === "denied") {
    say(BLOCKED);
    return;
  }
  const [, subscription] = await current();
  const on = Boolean(subscription) && card.dataset.subscribed === "1";
  show(on);
  say(`Notifications are ${on ? "on" : "off"} for this ${device}.`);
}

if (card) start();
