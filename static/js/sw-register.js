// Registers the service worker and offers its updates without surprising the tech: a new
// version waits until they tap Reload, a page with unsaved input asks first, and nothing here
// ever reloads by itself. Pending work lives in IndexedDB, which an update never touches.

// Beside this module in the same version of the shell (/static/<version>/icons/).
const SPRITE = new URL("../icons/sprite.svg", import.meta.url).pathname;
// Forms whose input would be lost by a reload (data-unsaved is set by the form scripts).
const UNSAVED_INPUT = "form[data-unsaved], [data-visit-form]";
const ASK_TIMEOUT_MS = 120_000;
const UPDATE_CHECK_EVERY_MS = 60 * 60 * 1000;

const supported = "serviceWorker" in navigator;
let reloadChosen = false;
let lastUpdateCheck = Date.now();

/** Ask the worker to fetch these page URLs into its pages cache; resolves with how many. */
export async function cacheUrls(urls) {
  if (!supported) return 0;
  const answer = await ask(await activeWorker(), { type: "cache-urls", urls: [...urls] });
  return answer.cached;
}

/** Drop every cached page of the signed-in user (for a sign-out that wants none left). */
export async function forgetCachedPages() {
  if (!supported || !navigator.serviceWorker.controller) return;
  await ask(await activeWorker(), { type: "clear-pages" });
}

// navigator.serviceWorker.ready waits forever when no worker could be installed.
function activeWorker() {
  let timer;
  const giveUp = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error("no active service worker")), ASK_TIMEOUT_MS);
  });
  return Promise.race([navigator.serviceWorker.ready, giveUp])
    .then((registration) => registration.active)
    .finally(() => clearTimeout(timer));
}

function ask(worker, message) {
  return new Promise((resolve, reject) => {
    const channel = new MessageChannel();
    const timer = setTimeout(() => {
      channel.port1.close();
      reject(new Error(`service worker did not answer ${message.type}`));
    }, ASK_TIMEOUT_MS);
    channel.port1.onmessage = ({ data }) => {
      clearTimeout(timer);
      channel.port1.close();
      if (data.error) reject(new Error(data.error));
      else resolve(data);
    };
    worker.postMessage(message, [channel.port2]);
  });
}

const signedIn = () => document.getElementById("sync-status") !== null;
const onSignInPage = () => location.pathname === "/login";

// Signed-in pages, and the sign-in page so the first page after it is already controlled.
// A customer's staff scanning a label on the public page gets no worker and no precache.
if (supported && (signedIn() || onSignInPage())) start();

async function start() {
  // Only the user's own choice reloads, never an update another tab activated.
  navigator.serviceWorker.addEventListener("controllerchange", () => {
    if (reloadChosen) reloadOnce();
  });
  let registration;
  try {
    registration = await navigator.serviceWorker.register("/sw.js", {
      scope: "/",
      updateViaCache: "none",
    });
  } catch (error) {
    console.warn("FieldApp could not install its offline support:", error);
    return;
  }
  watchForUpdates(registration);
  if (!navigator.serviceWorker.controller) {
    // The first worker claims open pages when it activates, but a page that was still loading
    // then (the one right after signing in) stays uncontrolled, and offline, until it asks.
    activeWorker()
      .then((worker) => {
        if (!navigator.serviceWorker.controller) worker.postMessage({ type: "claim" });
      })
      .catch(() => {});
  }
  if (signedIn()) {
    // Installed from the sign-in page, the worker could not fetch the signed-in shell pages.
    activeWorker()
      .then((worker) => ask(worker, { type: "shell-check" }))
      .catch(() => {});
  }
}

function watchForUpdates(registration) {
  if (registration.waiting && navigator.serviceWorker.controller) offerUpdate(registration);
  registration.addEventListener("updatefound", () => {
    const worker = registration.installing;
    worker?.addEventListener("statechange", () => {
      // Without a controller this is the first install, which takes over by itself.
      if (worker.state === "installed" && navigator.serviceWorker.controller) {
        offerUpdate(registration);
      }
    });
  });
  // A phone left open on one page all day still learns about a new version.
  const check = () => {
    lastUpdateCheck = Date.now();
    registration.update().catch(() => {});
  };
  window.addEventListener("online", check);
  document.addEventListener("visibilitychange", () => {
    const due = Date.now() - lastUpdateCheck > UPDATE_CHECK_EVERY_MS;
    if (document.visibilityState === "visible" && due) check();
  });
}

function offerUpdate(registration) {
  if (document.querySelector("[data-update-banner]")) return;
  const banner = document.createElement("div");
  banner.className = "update-banner";
  banner.dataset.updateBanner = "";
  banner.setAttribute("role", "status");
  banner.setAttribute("aria-live", "polite");
  document.body.append(banner);
  // Filled a frame later: screen readers announce a live region's changes, not its birth.
  requestAnimationFrame(() => showReady(banner, registration));
}

function showReady(banner, registration) {
  render(banner, {
    tone: "ready",
    text: "A new version of FieldApp is ready.",
    primary: ["Reload", () => reloadWhenSafe(banner, registration)],
    secondary: ["Later", () => banner.remove()],
  });
}

function reloadWhenSafe(banner, registration) {
  if (!document.querySelector(UNSAVED_INPUT)) {
    applyUpdate(banner, registration);
    return;
  }
  render(banner, {
    tone: "warn",
    text: "This page has input that isn't saved yet. Reloading now would lose it.",
    primary: ["Reload anyway", () => applyUpdate(banner, registration)],
    secondary: ["Keep working", () => showReady(banner, registration)],
  });
  banner.querySelector("button")?.focus();
}

function applyUpdate(banner, registration) {
  reloadChosen = true;
  render(banner, { tone: "ready", text: "Updating FieldApp…" });
  const waiting = registration.waiting;
  // Another tab already switched to the new version: this page only needs to reload.
  if (!waiting) {
    reloadOnce();
    return;
  }
  // controllerchange reloads a controlled page; the new worker turning active reloads one
  // that never had a controller (a hard reload), so Reload can never leave the tech stuck.
  waiting.addEventListener("statechange", () => {
    if (waiting.state === "activated") reloadOnce();
  });
  waiting.postMessage({ type: "skip-waiting" });
}

let reloading = false;
function reloadOnce() {
  if (reloading) return;
  reloading = true;
  location.reload();
}

function render(banner, { tone, text, primary, secondary }) {
  banner.dataset.tone = tone;
  const icon = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  icon.setAttribute("class", "icon");
  icon.setAttribute("aria-hidden", "true");
  const use = document.createElementNS("http://www.w3.org/2000/svg", "use");
  use.setAttribute("href", `${SPRITE}#${tone === "warn" ? "alert" : "sync"}`);
  icon.append(use);
  const message = document.createElement("p");
  message.className = "update-banner-text";
  message.textContent = text;
  const actions = document.createElement("div");
  actions.className = "update-banner-actions";
  for (const [index, action] of [primary, secondary].entries()) {
    if (!action) continue;
    const [label, onClick] = action;
    const button = document.createElement("button");
    button.type = "button";
    button.className = index === 0 ? "btn btn-small" : "btn btn-ghost btn-small";
    button.textContent = label;
    button.addEventListener("click", onClick);
    actions.append(button);
  }
  banner.replaceChildren(icon, message, actions);
}
