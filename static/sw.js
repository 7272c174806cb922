// FieldApp's service worker: keeps the app shell on the phone and answers navigations when
// there is no signal. fieldapp/pwa.py serves it at /sw.js with BUILD written in: the version
// is a hash of the shell's files, so every deploy that changes them installs a new worker.
//
//   fieldapp-shell-<version>  the precache: CSS, JS, vendor, icons and the shell pages
//   fieldapp-pages            pages seen or asked for (the pack's urls); kept across versions
//
// Static files live under /static/<hash of the static files>/ (BUILD.static), cached by the
// browser for a year. A page saved by an older version names that version's files: without
// signal, this version's copy of the same file answers for them.
//
// Nothing here touches IndexedDB: the outbox and the pack live there, and survive any update.

const BUILD = /*BUILD*/ { version: "unbuilt", static: "/static", assets: [], pages: [] } /*END*/;

const CACHE_PREFIX = "fieldapp-";
const SHELL_CACHE = `${CACHE_PREFIX}shell-${BUILD.version}`;
const PAGES_CACHE = `${CACHE_PREFIX}pages`;
// Whose pages the caches hold, as a cache entry so it outlives this worker's process.
const OWNER_KEY = "/__fieldapp/pages-owner";
const PAGE_USER_HEADER = "X-FieldApp-User";
const OFFLINE_PAGE = "/offline";
const OFFLINE_PLOTTER_PAGE = "/offline/plotter";
const PLOTTER_PAGE = /^\/e\/[^/]+\/?$/;
// A static URL, with or without a version (fieldapp/pwa.py VERSION_LENGTH hex digits).
const STATIC_FILE = /^\/static\/(?:[0-9a-f]{12}\/)?(.+)$/;
const PRECACHED = new Set(BUILD.assets);
// A basement with one bar of signal: after this, a saved copy beats waiting.
const NETWORK_TIMEOUT_MS = 3000;
// With no saved copy the network is the only hope, but not forever.
const NETWORK_GIVE_UP_MS = 15000;
const PAGES_LIMIT = 400;
const PARALLEL_FETCHES = 4;
const MATCH = { ignoreVary: true };

self.addEventListener("install", (event) => {
  event.waitUntil(
    (async () => {
      const shell = await caches.open(SHELL_CACHE);
      // The URLs name their content, so the HTTP cache's copies are right: files the page
      // already loaded, or an update that changed only templates, cost no download.
      await shell.addAll(BUILD.assets);
      // The first worker takes control at once, so the first signed-in page already works
      // offline; it gets the shell pages when that page asks (shell-check). Fetched from the
      // sign-in page they would only be refused, and their answers' cookies could land after
      // the sign-in's own. Later versions fetch them now (best effort) and wait until the
      // user taps Reload: no page changes under a tech.
      if (!self.registration.active) {
        await self.skipWaiting();
        return;
      }
      await Promise.all(BUILD.pages.map((url) => fetchAndKeep(SHELL_CACHE, url)));
    })(),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      const names = await caches.keys();
      const old = names.filter(
        (name) => name.startsWith(CACHE_PREFIX) && name !== SHELL_CACHE && name !== PAGES_CACHE,
      );
      await Promise.all(old.map((name) => caches.delete(name)));
      await trimPages();
      await self.clients.claim();
    })(),
  );
});

self.addEventListener("fetch", (event) => {
  const { request } = event;
  // Form posts and API writes go straight to the network; the app queues them itself.
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin || url.pathname.startsWith("/api/")) return;
  if (request.mode === "navigate") {
    handleNavigation(event);
  } else if (url.pathname.startsWith("/static/")) {
    event.respondWith(staticAsset(request));
  }
  // Anything else (photos, label images) is left to the browser.
});

self.addEventListener("message", (event) => {
  const message = event.data ?? {};
  if (message.type === "skip-waiting") {
    // Only ever sent after the user chose Reload (sw-register.js).
    event.waitUntil(self.skipWaiting());
    return;
  }
  if (message.type === "claim") {
    // A page still loading when the first worker activated was not claimed; it asks again.
    event.waitUntil(self.clients.claim());
    return;
  }
  const task = TASKS[message.type];
  if (!task) return;
  const reply = (data) => {
    const answer = { type: `${message.type}:done`, ...data };
    if (event.ports[0]) event.ports[0].postMessage(answer);
    else event.source?.postMessage(answer);
  };
  event.waitUntil(
    serially(() => task(message)).then(reply, (error) => reply({ error: String(error) })),
  );
});

const TASKS = {
  // The pack's page URLs (pack.js via cacheUrls): fetched with the session and kept.
  "cache-urls": async ({ urls }) => {
    const wanted = [...new Set((Array.isArray(urls) ? urls : []).map(sameOriginPath))].filter(
      (path) => path && !path.startsWith("/api/"),
    );
    let cached = 0;
    await inParallel(wanted, PARALLEL_FETCHES, async (path) => {
      if (await fetchAndKeep(PAGES_CACHE, path)) cached += 1;
    });
    return { cached, failed: wanted.length - cached };
  },
  // Sent by every signed-in page: fetches shell pages the precache is still missing.
  "shell-check": async () => {
    // A user change the page's own navigation started may still be wiping the old pages.
    await ownerChange;
    const shell = await caches.open(SHELL_CACHE);
    let cached = 0;
    for (const url of BUILD.pages) {
      if (refused.has(url) || (await shell.match(url, MATCH))) continue;
      let response;
      try {
        response = await fetch(url, { credentials: "same-origin" });
      } catch {
        continue;
      }
      if (await keepPage(SHELL_CACHE, url, response)) cached += 1;
      // Not a page for this user (a tech-only form for the office, say): stop asking.
      else if (response.status === 403 || response.status === 404) refused.add(url);
    }
    return { cached, version: BUILD.version };
  },
  // For sign-out flows that want no page of this user left on the phone.
  "clear-pages": async () => {
    await forgetPages();
    return {};
  },
};

function handleNavigation(event) {
  const { request } = event;
  let saving = Promise.resolve();
  const network = fetch(request).then((response) => {
    const copy = response.clone();
    saving = keepPage(PAGES_CACHE, request.url, copy);
    return response;
  });
  // The page may already show a saved copy; keep the worker alive to store the fresh one.
  event.waitUntil(network.then(() => saving, () => {}));
  event.respondWith(pageResponse(request, network));
}

async function pageResponse(request, network) {
  try {
    const response = await withTimeout(network, NETWORK_TIMEOUT_MS);
    if (response.status < 500) return response;
    // A proxy's 502 while the server is down: the saved copy serves the tech better.
    return (await savedPage(request.url)) ?? response;
  } catch {
    // No network, or no answer yet.
  }
  const saved = await savedPage(request.url);
  if (saved) return saved;
  try {
    return await withTimeout(network, NETWORK_GIVE_UP_MS);
  } catch {
    return offlineFallback(request.url);
  }
}

async function offlineFallback(url) {
  // A plotter's page that was never opened: the offline plotter page reads it from the pack.
  if (PLOTTER_PAGE.test(new URL(url).pathname)) {
    const plotter = await savedPage(OFFLINE_PLOTTER_PAGE);
    if (plotter) return plotter;
  }
  return (await savedPage(OFFLINE_PAGE)) ?? lastResort();
}

// Exact URLs only: a different query string may be a different page.
async function savedPage(url) {
  for (const name of [SHELL_CACHE, PAGES_CACHE]) {
    const found = await (await caches.open(name)).match(url, MATCH);
    if (found) return found;
  }
  return undefined;
}

async function staticAsset(request) {
  const shell = await caches.open(SHELL_CACHE);
  const cached = await shell.match(request, MATCH);
  if (cached) return cached;
  const sameFile = thisVersionOf(request.url);
  if (!sameFile) {
    const response = await fetch(request);
    if (response.status === 200 && response.type === "basic") {
      await shell.put(request, response.clone());
    }
    return response;
  }
  // Another version's file: the server's answer when it comes (a newer page may need the
  // newer file), else this version's copy, so a saved page never opens unstyled.
  try {
    const response = await withTimeout(fetch(request), NETWORK_TIMEOUT_MS);
    if (response.ok) return response;
  } catch {
    // No network, or no answer yet.
  }
  return (await shell.match(sameFile, MATCH)) ?? fetch(request);
}

// This version's URL of the same precached file, when url names it under another version or
// under none (pages saved before versions); otherwise null.
function thisVersionOf(url) {
  const { pathname } = new URL(url);
  const file = STATIC_FILE.exec(pathname)?.[1];
  const current = file && `${BUILD.static}/${file}`;
  return current && current !== pathname && PRECACHED.has(current) ? current : null;
}

// Only a whole page rendered for a signed-in user: never a redirect (to /login or
// elsewhere), an error, the public plotter page or a page that asks not to be stored.
function isKeepablePage(response) {
  return (
    response.status === 200 &&
    response.type === "basic" &&
    !response.redirected &&
    response.headers.has(PAGE_USER_HEADER) &&
    !/no-store/i.test(response.headers.get("Cache-Control") ?? "")
  );
}

// Opened by name after adoptOwner: a user change deletes the pages cache, and a put into a
// deleted cache's handle would vanish.
async function keepPage(cacheName, url, response) {
  if (!isKeepablePage(response)) return false;
  await adoptOwner(response.headers.get(PAGE_USER_HEADER));
  await (await caches.open(cacheName)).put(url, response);
  return true;
}

async function fetchAndKeep(cacheName, url) {
  try {
    return await keepPage(cacheName, url, await fetch(url, { credentials: "same-origin" }));
  } catch {
    return false;
  }
}

// When another person signs in on this phone, the first person's pages (their name, their
// jobs) must not open for them offline. Their outbox stays in IndexedDB, keyed by user.
let owner;
let ownerChange = Promise.resolve();
// Shell pages the signed-in user may not open; asked again after a user change or a restart.
const refused = new Set();

function adoptOwner(user) {
  // One failed change (storage full, say) must not block every later one.
  ownerChange = ownerChange.catch(() => {}).then(async () => {
    const pages = await caches.open(PAGES_CACHE);
    if (owner === undefined) owner = (await (await pages.match(OWNER_KEY))?.text()) ?? null;
    if (owner === user) return;
    if (owner !== null) await forgetPages();
    owner = user;
    refused.clear();
    await (await caches.open(PAGES_CACHE)).put(OWNER_KEY, new Response(user));
  });
  return ownerChange;
}

async function forgetPages() {
  await caches.delete(PAGES_CACHE);
  owner = null;
  // Shell pages are per user too; shell-check fetches them again for whoever is signed in.
  for (const name of await caches.keys()) {
    if (!name.startsWith(`${CACHE_PREFIX}shell-`)) continue;
    const cache = await caches.open(name);
    for (const request of await cache.keys()) {
      if (!new URL(request.url).pathname.startsWith("/static/")) await cache.delete(request);
    }
  }
}

// cache.put moves an entry to the end, so the first keys are the least recently stored.
async function trimPages() {
  const pages = await caches.open(PAGES_CACHE);
  const keys = (await pages.keys()).filter((key) => new URL(key.url).pathname !== OWNER_KEY);
  const oldest = keys.slice(0, Math.max(0, keys.length - PAGES_LIMIT));
  await Promise.all(oldest.map((key) => pages.delete(key)));
}

function lastResort() {
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Offline · FieldApp</title><link rel="stylesheet" href="${BUILD.static}/css/app.css"></head>
<body class="bare"><main id="main"><div class="error-page"><h1>You're offline</h1>
<p>FieldApp can't reach the server and this page isn't saved on this phone yet.</p>
<a class="btn" href="">Try again</a></div></main></body></html>`;
  return new Response(html, {
    status: 503,
    headers: { "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store" },
  });
}

function sameOriginPath(value) {
  try {
    const url = new URL(value, self.location.origin);
    return url.origin === self.location.origin ? url.pathname + url.search : null;
  } catch {
    return null;
  }
}

function withTimeout(promise, ms) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error("timeout")), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function inParallel(items, width, work) {
  const queue = [...items];
  const lanes = Array.from({ length: Math.min(width, queue.length) }, async () => {
    while (queue.length) await work(queue.shift());
  });
  await Promise.all(lanes);
}

// Cache tasks run one after another, so a user change never interleaves with a store.
let tasks = Promise.resolve();

function serially(task) {
  const run = tasks.then(task);
  tasks = run.catch(() => {});
  return run;
}

// A notification pushed by the server (fieldapp/notify/push.py): {title, body, url, tag}.
self.addEventListener("push", (event) => {
  let notice = { title: "FieldApp", body: "", url: "/" };
  try {
    notice = { ...notice, ...event.data.json() };
  } catch {
    // Not ours or not JSON: still shown, since a push must show something.
  }
  event.waitUntil(
    self.registration.showNotification(notice.title, {
      body: notice.body,
      tag: notice.tag,
      data: { url: notice.url },
      icon: `${BUILD.static}/icons/icon-192.png`,
    }),
  );
});

// Tapping it opens its page: in a FieldApp window already open, else a new one.
self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const url = new URL(event.notification.data?.url ?? "/", self.location.origin).href;
  event.waitUntil(
    (async () => {
      const windows = await self.clients.matchAll({ type: "window" }); // ours: navigate() works
      const open = windows.find((client) => new URL(client.url).origin === self.location.origin);
      if (open) {
        await open.focus();
        return open.navigate(url);
      }
      return self.clients.openWindow(url);
    })(),
  );
});
