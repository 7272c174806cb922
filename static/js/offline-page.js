// The offline page (/offline): what this phone holds for working without signal, read from the
// offline pack in IndexedDB. The service worker also shows this page for any address that is
// not saved, so the address bar may say /van or /customers/7 while this page is on screen.

import { allFor, currentUser, getPack } from "./store.js";

// Beside this module in the same version of the shell (/static/<version>/icons/).
const SPRITE = new URL("../icons/sprite.svg", import.meta.url).pathname;
const DAY_MS = 24 * 60 * 60 * 1000;
// Pages worth a shortcut when the worker has them.
const PAGES = [
  { url: "/", label: "Today", icon: "today" },
  { url: "/scan", label: "Scan", icon: "scan" },
  { url: "/sops/", label: "Procedures", icon: "book" },
  { url: "/van", label: "My van", icon: "van" },
  { url: "/more", label: "More", icon: "more" },
];

// What the hero says: offline, online but the page did not load, or just browsing /offline.
const CONNECTION = {
  offline: ["You're offline", "No signal right now. What's saved on this phone still opens."],
  weak: [
    "Can't reach FieldApp",
    "The connection is too weak to load pages. What's saved here still opens.",
  ],
  online: ["Available offline", "What this phone keeps for working without signal."],
};

const $ = (selector) => document.querySelector(selector);

// The plotters listed now, with their searchable text (the filter works on these).
let plotterRows = [];

describeConnection();
window.addEventListener("online", describeConnection);
window.addEventListener("offline", describeConnection);
// pack.js announces a freshly stored pack (this page may be open when it arrives).
window.addEventListener("fieldapp:pack-loaded", () => showOrExplain());
$("[data-plotter-filter]").addEventListener("input", filterPlotters);
showOrExplain();

function showOrExplain() {
  return show().catch((error) => {
    console.error("offline page:", error);
    $("[data-offline-loading]").hidden = true;
    $("[data-offline-error]").hidden = false;
  });
}

function describeConnection() {
  const fallback = location.pathname !== "/offline";
  const state = !navigator.onLine ? "offline" : fallback ? "weak" : "online";
  const [title, lead] = CONNECTION[state];
  $("[data-offline-title]").textContent = title;
  $("[data-offline-lead]").textContent = lead;
  $("[data-offline-hero]").dataset.state = state;
  document.title = `${title} · FieldApp`;
  // Viewing /offline with signal: there is nothing to try again.
  $("[data-retry]").hidden = state === "online";
  const missing = $("[data-offline-missing]");
  const asked = location.pathname + location.search;
  missing.hidden = !fallback;
  missing.textContent = fallback
    ? `The page you asked for (${asked}) isn't saved on this phone yet.`
    : "";
}

async function show() {
  const user = currentUser();
  const [record, ops] = await Promise.all([getPack(user), allFor("ops", user)]);
  const pending = describePending(ops);
  await showPages();
  const pack = record?.data;
  $("[data-offline-loading]").hidden = true;
  $("[data-offline-empty]").hidden = Boolean(pack);
  $("[data-offline-pack]").hidden = !pack;
  showPending($("[data-pending-empty]"), pack ? "" : pending);
  showJobs(pack ?? {});
  showSops(pack?.sops ?? []);
  showPlotters(pack?.equipment ?? []);
  if (!pack) return;
  showAge(record.fetched_at ?? pack.generated_at);
  for (const key of ["jobs", "equipment", "sops"]) {
    $(`[data-count="${key}"]`).textContent = (pack[key] ?? []).length;
  }
  showPending($("[data-pending]"), pending);
}

function describePending(ops) {
  const waiting = ops.filter((op) => op.state === "pending").length;
  const attention = ops.filter((op) => op.state === "rejected").length;
  const parts = [];
  if (waiting) parts.push(`${plural(waiting, "change")} saved on this phone, waiting to send.`);
  if (attention) {
    parts.push(`${plural(attention, "change")} need${attention === 1 ? "s" : ""} attention.`);
  }
  return parts.join(" ");
}

function showPending(element, text) {
  element.hidden = !text;
  element.textContent = text;
}

function showAge(when) {
  const saved = new Date(when);
  const badge = $("[data-pack-age]");
  if (Number.isNaN(saved.getTime())) {
    badge.textContent = "Saved";
    return;
  }
  const age = Date.now() - saved.getTime();
  badge.textContent = `Saved ${ago(age)}`;
  badge.className = `badge ${age > DAY_MS ? "badge-warn" : "badge-ok"}`;
  $("[data-pack-when]").textContent = `Last refreshed ${saved.toLocaleString([], {
    weekday: "short",
    month: "short",
    day: "numeric",
    hour: "numeric",
    minute: "2-digit",
  })}`;
  $("[data-pack-stale]").hidden = age <= DAY_MS;
}

// Only pages the service worker really holds: a link that fails offline is worse than none.
async function showPages() {
  const found = await Promise.all(PAGES.map((page) => isSaved(page.url)));
  const pages = PAGES.filter((_, index) => found[index]);
  $("[data-pages]").replaceChildren(
    ...pages.map((page) => {
      const item = fill("page", { label: page.label }, page.url);
      item.querySelector("[data-slot-icon]").append(icon(page.icon));
      return item;
    }),
  );
  $("[data-pages-section]").hidden = pages.length === 0;
}

async function isSaved(url) {
  if (!("caches" in window)) return true;
  return Boolean(await caches.match(url, { ignoreVary: true }));
}

function showJobs(pack) {
  const jobs = pack.jobs ?? [];
  const plotters = new Map((pack.equipment ?? []).map((item) => [item.token, item]));
  const list = $("[data-jobs]");
  list.replaceChildren();
  for (const job of jobs) {
    const plotter = plotters.get(job.equipment);
    const item = fill(
      "job",
      {
        title: `${job.number} · ${job.customer}`,
        status: humanise(job.status),
        priority: job.priority && job.priority !== "normal" ? humanise(job.priority) : "",
        plotter: plotter
          ? [`${plotter.make} ${plotter.model}`, plotter.location_note].filter(Boolean).join(" · ")
          : "",
        problem: job.problem,
      },
      job.equipment ? `/e/${encodeURIComponent(job.equipment)}` : null,
    );
    item.querySelector('[data-slot="status"]').classList.add(`badge-${job.status}`);
    item.querySelector('[data-slot="priority"]').classList.add(`badge-${job.priority}`);
    list.append(item);
  }
  $("[data-jobs-section]").hidden = jobs.length === 0;
}

function showPlotters(equipment) {
  plotterRows = equipment.map((plotter) => {
    const last = plotter.last_visits?.[0];
    const item = fill(
      "plotter",
      {
        title: `${plotter.make} ${plotter.model}`,
        where: [plotter.customer?.name, plotter.location_note].filter(Boolean).join(" · "),
        code: plotter.short_code ?? "",
        last: last ? `Last visit ${shortDate(last.at)}` : "No visits yet",
        jobs: plotter.open_jobs?.length ? plural(plotter.open_jobs.length, "open job") : "",
      },
      `/e/${encodeURIComponent(plotter.token)}`,
    );
    const text = [
      plotter.make, plotter.model, plotter.serial_number, plotter.short_code,
      plotter.customer?.name, plotter.location_note,
    ];
    return { item, text: text.filter(Boolean).join(" ").toLowerCase() };
  });
  $("[data-plotters]").replaceChildren(...plotterRows.map((row) => row.item));
  $("[data-plotters-section]").hidden = plotterRows.length === 0;
  // A filter only pays off once the list is longer than a screen.
  $("[data-plotter-filter]").closest(".field").hidden = plotterRows.length < 8;
  filterPlotters();
}

function filterPlotters() {
  const words = $("[data-plotter-filter]").value.toLowerCase().split(/\s+/).filter(Boolean);
  let shown = 0;
  for (const row of plotterRows) {
    row.item.hidden = !words.every((word) => row.text.includes(word));
    if (!row.item.hidden) shown += 1;
  }
  $("[data-no-match]").hidden = shown > 0 || plotterRows.length === 0;
}

function showSops(sops) {
  $("[data-sops]").replaceChildren(
    ...sops.map((sop) => {
      const meta = `${plural(sop.steps?.length ?? 0, "step")} · version ${sop.version}`;
      return fill("sop", { title: sop.title, meta }, `/sops/${encodeURIComponent(sop.slug)}`);
    }),
  );
  $("[data-sops-section]").hidden = sops.length === 0;
}

// Clones a <template data-tpl>, puts text into its data-slot elements (never HTML: pack data
// is typed by people) and points its link at href, or turns the link into a plain box.
function fill(name, slots, href) {
  const template = document.querySelector(`template[data-tpl="${name}"]`);
  const item = template.content.firstElementChild.cloneNode(true);
  for (const [slot, text] of Object.entries(slots)) {
    const element = item.querySelector(`[data-slot="${slot}"]`);
    element.textContent = text ?? "";
    element.hidden = !text;
  }
  const link = item.querySelector("[data-slot-href]");
  if (href) {
    link.href = href;
  } else {
    const box = document.createElement("div");
    box.className = link.className;
    box.append(...link.childNodes);
    box.querySelector(".offline-chevron")?.remove();
    link.replaceWith(box);
  }
  return item;
}

function icon(name) {
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("class", "icon");
  svg.setAttribute("aria-hidden", "true");
  const use = document.createElementNS("http://www.w3.org/2000/svg", "use");
  use.setAttribute("href", `${SPRITE}#${name}`);
  svg.append(use);
  return svg;
}

function ago(ms) {
  const minutes = Math.floor(ms / 60000);
  if (minutes < 1) return "just now";
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours} h ago`;
  const days = Math.floor(hours / 24);
  return days === 1 ? "yesterday" : `${days} days ago`;
}

function shortDate(value) {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return "";
  return date.toLocaleDateString([], { month: "short", day: "numeric", year: "numeric" });
}

function humanise(value) {
  const text = String(value ?? "").replaceAll("_", " ");
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function plural(count, word) {
  return `${count} ${word}${count === 1 ? "" : "s"}`;
}
