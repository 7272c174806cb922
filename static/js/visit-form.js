// The visit on a phone: step ticks with their time, progress, one step at a time, part search,
// photos shrunk and kept on the phone, the signature pad, the meter check, the list of what is
// missing, a draft that survives reloads, and finishing through the outbox, so the visit is
// saved the same way with or without signal. Without JavaScript the form posts to the server.

import { clock, localInput, toInstant } from "./companytime.js";
import { enqueue, keepPhoto, localPhoto, opsFor } from "./outbox.js";
import { downscale } from "./photos.js";
import { currentUser, getPack } from "./store.js";
import { syncNow } from "./sync.js";

const form = document.querySelector("[data-visit-form]");
if (form) enhance(form);

function hashParams() {
  return new URLSearchParams(location.hash.slice(1));
}

async function enhance(form) {
  const zone = form.dataset.timezone;
  const params = hashParams();
  const editing = params.get("edit"); // a rejected op being corrected
  const visit = {
    id: form.dataset.visitId || params.get("id"),
    plotter: form.dataset.plotter || params.get("plotter"),
    job: form.dataset.job || params.get("job") || "",
    started: form.dataset.started || params.get("started"),
  };
  if (!visit.id || !visit.plotter) {
    form.replaceWith(Object.assign(document.createElement("p"), {
      className: "alert alert-error",
      textContent: "This visit form was opened without a plotter. Start the visit from the plotter's page or from Today.",
    }));
    return;
  }
  const draftKey = `visit-draft:${visit.id}`;
  const pack = (await getPack(currentUser()))?.data;
  const plotter = pack?.equipment.find((item) => item.token === visit.plotter);
  if (form.hasAttribute("data-blank")) fillBlank(form, visit, plotter, pack, zone);

  const steps = [...form.querySelectorAll("[data-step]")];
  const status = document.querySelector('.flashes[role="status"]');
  const say = (text, kind = "info") => {
    const note = document.createElement("div");
    note.className = `flash flash-${kind}`;
    note.textContent = text;
    status?.append(note);
    setTimeout(() => note.remove(), 8000);
  };

  // ---- steps ---------------------------------------------------------------
  const progress = form.querySelector("[data-progress]");
  const chosen = (step) => step.querySelector('input[type="radio"]:checked')?.value ?? "";
  const updateProgress = () => {
    if (!progress) return;
    const done = steps.filter((step) => chosen(step)).length;
    progress.textContent = `${done} of ${steps.length} done`;
  };
  for (const step of steps) {
    step.addEventListener("change", (event) => {
      if (event.target.type !== "radio") return;
      step.querySelector("[data-at]").value = new Date().toISOString();
      const followUp = step.querySelector("[data-follow-up]");
      if (followUp) followUp.hidden = event.target.value !== "fail";
      step.classList.remove("missing");
      updateProgress();
    });
  }
  updateProgress();

  // One at a time or as a checklist.
  const toggle = form.querySelector("[data-view-toggle]");
  let current = Math.max(0, steps.findIndex((step) => !chosen(step)));
  const show = (mode) => {
    toggle?.querySelectorAll("[data-view]").forEach((b) => b.setAttribute("aria-pressed", String(b.dataset.view === mode)));
    steps.forEach((step, index) => {
      step.hidden = mode === "one" && index !== current;
      step.querySelector(".step-nav").hidden = mode !== "one";
    });
  };
  if (toggle && steps.length) {
    toggle.hidden = false;
    toggle.addEventListener("click", (event) => {
      const button = event.target.closest("[data-view]");
      if (button) show(button.dataset.view);
    });
    form.addEventListener("click", (event) => {
      if (event.target.closest("[data-next]")) current = Math.min(steps.length - 1, current + 1);
      else if (event.target.closest("[data-prev]")) current = Math.max(0, current - 1);
      else return;
      show("one");
      steps[current].scrollIntoView({ block: "start" });
    });
  }

  // ---- parts ---------------------------------------------------------------
  const rows = form.querySelector("[data-part-rows]");
  const search = form.querySelector("[data-part-search]");
  const options = () => [...rows.querySelector("select[name='part-sku']").options].filter((o) => o.value);
  const emptyRow = () =>
    [...rows.querySelectorAll("[data-part-row]")].find((row) => !row.querySelector("select[name='part-sku']").value);
  const addRow = () => {
    const template = rows.querySelector("[data-part-row]");
    const row = template.cloneNode(true);
    const index = rows.children.length;
    row.querySelectorAll("[id]").forEach((el) => (el.id = el.id.replace(/-\d+$/, `-${index}`)));
    row.querySelectorAll("label[for]").forEach((el) => (el.htmlFor = el.htmlFor.replace(/-\d+$/, `-${index}`)));
    row.querySelector("select[name='part-sku']").value = "";
    row.querySelector("input[name='part-qty']").value = "1";
    row.querySelector("select[name='part-from']").value = "van";
    rows.append(row);
    return row;
  };
  if (search) {
    search.hidden = false;
    const input = search.querySelector("input");
    const results = search.querySelector("[data-part-results]");
    const render = () => {
      const words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
      results.replaceChildren();
      if (!words.length) return;
      const hits = options().filter((o) => words.every((w) => o.textContent.toLowerCase().includes(w))).slice(0, 8);
      if (!hits.length) {
        results.append(Object.assign(document.createElement("li"), { className: "muted", textContent: "No part matches. Try the part number." }));
      }
      for (const option of hits) {
        const button = Object.assign(document.createElement("button"), { type: "button", className: "part-hit", textContent: option.textContent });
        button.dataset.sku = option.value;
        if (option.parentElement.hasAttribute("data-fits")) button.classList.add("fits");
        const li = document.createElement("li");
        li.append(button);
        results.append(li);
      }
    };
    input.addEventListener("input", render);
    results.addEventListener("click", (event) => {
      const hit = event.target.closest("[data-sku]");
      if (!hit) return;
      const row = emptyRow() ?? addRow();
      row.querySelector("select[name='part-sku']").value = hit.dataset.sku;
      row.querySelector("input[name='part-qty']").focus();
      input.value = "";
      render();
      saveDraft();
    });
  }

  // ---- photos: shrunk and kept on the phone; the outbox uploads them ---------------
  const thumb = (src) => Object.assign(document.createElement("img"), { src, alt: "Photo from this visit", width: 96, height: 96 });
  const addVisitThumb = (id, src) => {
    const holder = document.createElement("span");
    holder.className = "thumb";
    holder.append(thumb(src), Object.assign(document.createElement("input"), { type: "hidden", name: "photo-id", value: id }));
    form.querySelector("[data-visit-thumbs]").append(holder);
  };
  const photoSrc = async (id) => {
    const local = await localPhoto(id);
    return local ? URL.createObjectURL(local.blob) : `/photos/${id}/thumb`;
  };
  form.addEventListener("change", async (event) => {
    const input = event.target.closest("[data-photo-input]");
    if (!input || !input.files.length) return;
    for (const file of [...input.files]) {
      try {
        const blob = await downscale(file);
        const id = await keepPhoto(blob);
        if (input.dataset.photoInput === "step") {
          const step = input.closest("[data-step]");
          step.querySelector("[data-photo-id]").value = id;
          step.querySelector("[data-thumbs]").replaceChildren(thumb(URL.createObjectURL(blob)));
          const done = step.querySelector('input[type="radio"][value="done"]');
          if (done && !chosen(step)) done.click();
        } else {
          addVisitThumb(id, URL.createObjectURL(blob));
        }
      } catch (error) {
        say(`That photo could not be read (${error.message}). Try taking it again.`, "error");
      }
    }
    input.value = ""; // kept on the phone: the originals are not posted with the form
    saveDraft();
  });

  // ---- signature ---------------------------------------------------------------
  const pad = form.querySelector("[data-signature]");
  let signed = false;
  let canvas = null;
  if (pad) {
    pad.hidden = false;
    canvas = pad.querySelector("canvas");
    const png = pad.querySelector("[data-signature-png]");
    const ctx = canvas.getContext("2d");
    ctx.lineWidth = 4;
    ctx.lineCap = ctx.lineJoin = "round";
    ctx.strokeStyle = "#14202b";
    const restoreInk = () => {
      if (!png.value) return;
      const img = new Image();
      img.onload = () => ctx.drawImage(img, 0, 0);
      img.src = png.value;
      signed = true;
    };
    restoreInk();
    pad.restoreInk = restoreInk;
    let drawing = false;
    const point = (event) => {
      const box = canvas.getBoundingClientRect();
      return [((event.clientX - box.left) * canvas.width) / box.width, ((event.clientY - box.top) * canvas.height) / box.height];
    };
    canvas.addEventListener("pointerdown", (event) => {
      drawing = true;
      canvas.setPointerCapture(event.pointerId);
      ctx.beginPath();
      ctx.moveTo(...point(event));
    });
    canvas.addEventListener("pointermove", (event) => {
      if (!drawing) return;
      ctx.lineTo(...point(event));
      ctx.stroke();
    });
    const end = () => {
      if (!drawing) return;
      drawing = false;
      signed = true;
      png.value = canvas.toDataURL("image/png");
      saveDraft();
    };
    canvas.addEventListener("pointerup", end);
    canvas.addEventListener("pointercancel", end);
    pad.querySelector("[data-signature-clear]").addEventListener("click", () => {
      ctx.clearRect(0, 0, canvas.width, canvas.height);
      png.value = "";
      signed = false;
      saveDraft();
    });
  }

  // ---- meter ---------------------------------------------------------------
  const meter = form.querySelector("[data-meter]");
  const last = Number(form.dataset.lastMeter || plotter?.last_meter?.value || NaN);
  const meterNote = form.querySelector("[data-meter-note]");
  meter?.addEventListener("input", () => {
    const value = Number(meter.value.replace(/[,\s]/g, ""));
    const lower = Number.isFinite(last) && meter.value.trim() !== "" && value < last;
    meterNote.hidden = !lower && !meterNote.querySelector("input").value;
  });

  // ---- finishing: into the outbox, then the plotter page ------------------------
  const finished = form.querySelector("[data-finished-at]");
  let finishedEdited = Boolean(editing);
  finished?.addEventListener("input", () => (finishedEdited = true));
  const missingBox = document.getElementById("missing-steps");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const missing = steps.filter((step) => step.dataset.required === "1" && !["done", "pass", "fail", "n/a"].includes(chosen(step)));
    steps.forEach((step) => step.classList.toggle("missing", missing.includes(step)));
    if (missing.length) {
      showMissing(missingBox, missing);
      return;
    }
    if (finished && !finishedEdited) finished.value = localInput(zone);
    const button = form.querySelector("[data-finish]");
    button.disabled = true;
    try {
      const signature = signed && canvas ? await keepPhoto(await new Promise((r) => canvas.toBlob(r, "image/png")), "signature") : null;
      const payload = payloadFrom(form, visit, zone, signature);
      await enqueue("visit.record", payload, { replaces: editing, meta: { sop: form.dataset.sop || "none" } });
      localStorage.removeItem(draftKey);
      forgetActive(visit.id);
      sessionStorage.setItem("fieldapp:flash", navigator.onLine ? "Visit saved." : "Visit saved on this phone. It is sent when you have signal.");
      if (navigator.onLine) await Promise.race([syncNow({ force: true }), new Promise((r) => setTimeout(r, 4000))]);
      location.assign(`/e/${visit.plotter}#visit-${visit.id}`);
    } catch (error) {
      button.disabled = false;
      say(`The visit could not be saved on this phone: ${error.message}`, "error");
    }
  });

  // ---- draft: nothing typed is lost to a reload or a flat battery ---------------
  function saveDraft() {
    const values = {};
    for (const el of form.elements) {
      if (!el.name || el.type === "file" || el.name === "csrf_token") continue;
      if ((el.type === "radio" || el.type === "checkbox") && !el.checked) continue;
      (values[el.name] ??= []).push(el.value);
    }
    const png = form.querySelector("[data-signature-png]")?.value;
    localStorage.setItem(draftKey, JSON.stringify({ saved: Date.now(), values, png }));
  }
  form.addEventListener("input", saveDraft);
  form.addEventListener("change", saveDraft);
  remember(visit, plotter, location.pathname + location.hash);

  const posted = document.getElementById("visit-errors");
  if (editing) {
    const op = (await opsFor()).find((item) => item.id === editing);
    if (op) restore(valuesFromPayload(op.payload, zone), null, "The visit is back as you sent it: correct it and finish again.");
  } else {
    const draft = !posted && JSON.parse(localStorage.getItem(draftKey) || "null");
    if (draft) restore(draft.values, draft.png, "Your unsaved visit was restored on this phone.");
  }

  async function restore(values, png, message) {
    const skus = values["part-sku"] ?? [];
    while (rows.children.length < skus.length) addRow();
    const seen = {};
    for (const el of form.elements) {
      if (!el.name || el.type === "file" || el.name === "csrf_token" || !(el.name in values)) continue;
      const list = values[el.name];
      if (el.type === "radio" || el.type === "checkbox") {
        el.checked = list.includes(el.value);
      } else {
        const index = (seen[el.name] = (seen[el.name] ?? -1) + 1);
        if (index < list.length) el.value = list[index];
      }
    }
    for (const id of values["photo-id"] ?? []) {
      if (form.querySelector(`input[name="photo-id"][value="${CSS.escape(id)}"]`)) continue;
      addVisitThumb(id, await photoSrc(id));
    }
    for (const step of steps) {
      const followUp = step.querySelector("[data-follow-up]");
      if (followUp) followUp.hidden = chosen(step) !== "fail";
      const id = step.querySelector("[data-photo-id]")?.value;
      if (id) step.querySelector("[data-thumbs]").replaceChildren(thumb(await photoSrc(id)));
    }
    if (png && pad) {
      pad.querySelector("[data-signature-png]").value = png;
      pad.restoreInk();
    }
    updateProgress();
    say(message);
  }
}

function showMissing(box, missing) {
  box.hidden = false;
  box.replaceChildren();
  const title = document.createElement("strong");
  title.textContent = `${missing.length} required step${missing.length > 1 ? "s are" : " is"} not done:`;
  const list = document.createElement("ul");
  for (const step of missing) list.append(Object.assign(document.createElement("li"), { textContent: step.dataset.title }));
  box.append(title, list);
  box.tabIndex = -1;
  box.focus();
  box.scrollIntoView({ block: "start" });
}

// The blank (offline-capable) form learns its plotter from the offline pack.
function fillBlank(form, visit, plotter, pack, zone) {
  const fill = (name, text) => form.ownerDocument.querySelectorAll(`[data-fill="${name}"]`).forEach((el) => (el.textContent = text));
  const job = pack?.jobs.find((item) => item.number === visit.job);
  if (plotter) {
    fill("customer", plotter.customer.name + (visit.job ? ` · ${visit.job}` : ""));
    fill("plotter", `${plotter.make} ${plotter.model}`);
    fill("serial", `SN ${plotter.serial_number}`);
    // Parts that fit this model go first, as on the online form.
    const fits = new Set((pack.parts ?? []).filter((p) => p.compatible.includes(plotter.model)).map((p) => p.sku));
    for (const select of form.querySelectorAll("select[name='part-sku']")) {
      const group = Object.assign(document.createElement("optgroup"), { label: `Fits the ${plotter.model}` });
      group.setAttribute("data-fits", "");
      for (const option of [...select.querySelectorAll("option")].filter((o) => fits.has(o.value))) group.append(option);
      if (group.children.length) select.insertBefore(group, select.querySelector("optgroup"));
    }
  } else {
    fill("plotter", `Plotter ${visit.plotter}`);
    fill("serial", "Not in the offline pack");
    form.ownerDocument.querySelector("[data-unknown-plotter]")?.removeAttribute("hidden");
  }
  fill("since", visit.started ? clock(zone, visit.started) : "now");
  document.title = `Visit · ${plotter ? `${plotter.make} ${plotter.model}` : visit.plotter}`;
  const started = form.querySelector("#started_at");
  if (started && !started.value) started.value = localInput(zone, visit.started ? new Date(visit.started) : new Date());
  const codes = form.querySelector("[data-fill-value='error_code']");
  if (codes && !codes.value && job?.error_code) codes.value = job.error_code;
}

// The wire format of a visit (DESIGN.md), from the form's fields.
function payloadFrom(form, visit, zone, signature) {
  const data = new FormData(form);
  const steps = [];
  for (const step of form.querySelectorAll("[data-step]")) {
    const id = step.dataset.step;
    const status = data.get(`step-${id}-status`);
    if (!status) continue;
    const raw = String(data.get(`step-${id}-value`) ?? "").trim().replace(",", ".");
    steps.push({
      step: Number(id),
      status,
      value: raw === "" ? null : Number(raw),
      note: String(data.get(`step-${id}-note`) ?? ""),
      photo: data.get(`step-${id}-photo-id`) || null,
      at: data.get(`step-${id}-at`) || null,
      follow_up: data.get(`step-${id}-follow_up`) === "1",
    });
  }
  const skus = data.getAll("part-sku");
  const quantities = data.getAll("part-qty");
  const sources = data.getAll("part-from");
  const parts = skus
    .map((sku, i) => ({ sku: String(sku).trim(), quantity: Number.parseInt(quantities[i], 10), from: sources[i] || "van" }))
    .filter((line) => line.sku);
  const meter = String(data.get("meter_reading") ?? "").replace(/[,\s]/g, "");
  return {
    id: visit.id,
    equipment: visit.plotter,
    job: visit.job || null,
    started_at: toInstant(zone, String(data.get("started_at"))),
    finished_at: toInstant(zone, String(data.get("finished_at"))),
    outcome: String(data.get("outcome") ?? ""),
    summary: String(data.get("summary") ?? ""),
    error_codes: String(data.get("error_codes") ?? "").split(/[,;\n]/).map((c) => c.trim()).filter(Boolean),
    meter_reading: /^\d+$/.test(meter) ? Number(meter) : null,
    meter_note: String(data.get("meter_note") ?? ""),
    steps,
    parts,
    photos: data.getAll("photo-id").map(String),
    signoff: { name: String(data.get("signoff_name") ?? ""), signature },
  };
}

// The reverse, to correct a visit the server refused.
function valuesFromPayload(payload, zone) {
  const values = {
    outcome: [payload.outcome],
    summary: [payload.summary],
    error_codes: [payload.error_codes.join(", ")],
    meter_reading: [payload.meter_reading ?? ""],
    meter_note: [payload.meter_note ?? ""],
    started_at: [localInput(zone, new Date(payload.started_at))],
    finished_at: [localInput(zone, new Date(payload.finished_at))],
    signoff_name: [payload.signoff?.name ?? ""],
    "part-sku": payload.parts.map((p) => p.sku),
    "part-qty": payload.parts.map((p) => String(p.quantity)),
    "part-from": payload.parts.map((p) => p.from),
    "photo-id": payload.photos,
  };
  for (const step of payload.steps) {
    values[`step-${step.step}-status`] = [step.status];
    values[`step-${step.step}-value`] = [step.value ?? ""];
    values[`step-${step.step}-note`] = [step.note ?? ""];
    values[`step-${step.step}-at`] = [step.at ?? ""];
    if (step.photo) values[`step-${step.step}-photo-id`] = [step.photo];
    if (step.follow_up) values[`step-${step.step}-follow_up`] = ["1"];
  }
  return values;
}

// Visits open on this phone, so Today can offer to continue them (even offline).
function remember(visit, plotter, url) {
  const open = JSON.parse(localStorage.getItem("fieldapp:open-visits") || "{}");
  open[visit.id] = { url, plotter: plotter ? `${plotter.make} ${plotter.model}` : visit.plotter, customer: plotter?.customer.name ?? "", started: visit.started, user: currentUser() };
  localStorage.setItem("fieldapp:open-visits", JSON.stringify(open));
}

function forgetActive(id) {
  const open = JSON.parse(localStorage.getItem("fieldapp:open-visits") || "{}");
  delete open[id];
  localStorage.setItem("fieldapp:open-visits", JSON.stringify(open));
}
