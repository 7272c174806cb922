// The plotter page without signal: drawn from the offline pack for the scanned token.

import { normaliseCode, shortCode } from "./codes.js";
import { showPendingVisits, showSaved } from "./pending-visits.js";
import { currentUser, getPack } from "./store.js";

const OUTCOMES = { fixed: "Fixed", needs_parts: "Needs parts", needs_followup: "Needs follow-up", no_fault_found: "No fault found", pm_done: "PM done" };

function el(tag, props = {}, ...children) {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
}

function visitItem(visit) {
  const date = new Date(visit.at).toLocaleDateString(undefined, { month: "short", day: "numeric", year: "numeric" });
  const item = el("li", { className: "visit" },
    el("div", { className: "visit-head" }, el("span", { className: "visit-date", textContent: date }),
      el("span", { className: `badge badge-${visit.outcome}`, textContent: OUTCOMES[visit.outcome] ?? visit.outcome })),
    el("div", { className: "visit-meta muted small", textContent: [visit.tech, visit.job].filter(Boolean).join(" · ") }));
  if (visit.summary) item.append(el("p", { className: "visit-summary", textContent: visit.summary }));
  if (visit.error_codes.length) {
    item.append(el("div", { className: "chips" }, ...visit.error_codes.map((code) => el("span", { className: "chip chip-code", textContent: code }))));
  }
  return item;
}

async function render() {
  const root = document.querySelector("[data-offline-plotter]");
  if (!location.pathname.startsWith("/e/")) {
    // Opened as itself (not in place of a plotter's page): nothing to draw.
    root.replaceChildren(el("p", { className: "muted", textContent: "Scan a plotter's label to open its page, with or without signal." }));
    return;
  }
  const raw = location.pathname.split("/")[2] ?? "";
  const token = normaliseCode(decodeURIComponent(raw));
  const pack = (await getPack(currentUser()))?.data;
  const plotter = token && pack?.equipment.find((item) => item.token === token);
  const template = document.getElementById(plotter ? "offline-plotter-found" : "offline-plotter-missing");
  const view = template.content.cloneNode(true);
  const f = (name) => view.querySelector(`[data-f="${name}"]`);
  f("code").textContent = token ? shortCode(token) : raw;
  const start = view.querySelector("[data-start-visit]");
  start.dataset.plotter = token ?? raw;
  start.href = `/visits/form/none#${new URLSearchParams({ plotter: token ?? raw, id: crypto.randomUUID(), started: new Date().toISOString() })}`;
  if (plotter) {
    document.title = `${plotter.make} ${plotter.model} · offline`;
    f("customer").textContent = plotter.customer.name;
    f("name").textContent = `${plotter.make} ${plotter.model}`;
    f("serial").textContent = plotter.serial_number;
    const history = plotter.history ?? plotter.last_visits;
    const latest = history[0];
    f("last").textContent = latest ? `Last visit: ${new Date(latest.at).toLocaleDateString()} by ${latest.tech.split(" ")[0]}: ${latest.summary}` : "No visits logged yet.";
    f("history-note").textContent = plotter.history ? "Full history (a plotter on your jobs)." : `The last ${history.length} visits; the full history needs signal.`;
    view.querySelector("[data-timeline]").append(...history.map(visitItem));
    const mine = pack.jobs.filter((job) => job.equipment === token);
    const quick = f("quick");
    quick.dataset.plotter = token;
    quick.href = start.href;
    if (mine.length) {
      f("jobs-card").hidden = false;
      f("jobs").append(...mine.map((job) => el("li", { textContent: `${job.number} · ${job.problem}` })));
      for (const link of [start, quick]) {
        link.dataset.forJob = mine[0].number;
        link.dataset.kind = mine[0].kind;
      }
      // A job whose kind follows the procedure is never a quick visit.
      if ((pack.rules?.procedure_kinds ?? []).includes(mine[0].kind)) quick.remove();
    }
    const call = f("call");
    if (plotter.customer.phone) call.href = `tel:${plotter.customer.phone.replace(/[^0-9+]/g, "")}`;
    else call.remove();
    const facts = f("facts");
    for (const [label, value] of [["Customer", plotter.customer.name], ["Site", plotter.customer.address], ["Where", plotter.location_note], ["Serial", plotter.serial_number], ["Meter", plotter.last_meter ? plotter.last_meter.value.toLocaleString() : ""]]) {
      if (value) facts.append(el("dt", { textContent: label }), el("dd", { textContent: value }));
    }
  }
  root.replaceChildren(view);
  if (plotter) await showPendingVisits(token, root.querySelector("[data-timeline]"));
  await showSaved(document.querySelector("[data-saved-confirmation]"));
}

render();
