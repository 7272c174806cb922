// The visit on a phone: step ticks with their time, progress, one step at a time, part search,
// photos shrunk and kept on the phone (and removable), the signature pad, the meter check, a
// draft that survives reloads, and finishing through the outbox, so the visit is saved the
// same way with or without signal. Before it says "saved" the phone checks the visit against
// the server's own rules (visit-rules.js) and marks each field at fault with the server's
// message: it never queues a visit the server would refuse. Without JavaScript the form
// posts to the server, which applies the same rules.

import { clock, localInput, toInstant } from "./companytime.js";
import { enqueue, keepPhoto, localPhoto, opsFor } from "./outbox.js";
import { downscale } from "./photos.js";
import { currentUser, getPack, remove } from "./store.js";
import { syncNow } from "./sync.js";
import { checkVisit, format, outOfRange, rangeNote } from "./visit-rules.js";
import { forgetDraft, rememberDraft } from "./visit-drafts.js";

const form = document.querySelector("[data-visit-form]");
if (form) enhance(form);

function hashParams() {
  return new URLSearchParams(location.hash.slice(1));
}

async function enhance(form) {
  const zone = form.dataset.timezone;
  const rules = JSON.parse(document.getElementById("visit-rules").textContent);
  const params = hashParams();
  const editing = params.get("edit"); // a refused op being corrected
  const amending = form.hasAttribute("data-amend"); // a saved visit being corrected
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
  const packJob = pack?.jobs.find((item) => item.number === visit.job);
  if (form.hasAttribute("data-blank")) fillBlank(form, visit, plotter, packJob, pack, zone);

  const steps = [...form.querySelectorAll("[data-step]")];
  const bound = (text) => (text === undefined || text === "" ? null : Number(text));
  const stepRules = steps.map((step) => ({
    id: Number(step.dataset.step),
    position: Number(step.dataset.position),
    title: step.dataset.stepTitle,
    kind: step.dataset.kind,
    required: step.dataset.required === "1",
    meter: step.dataset.meter === "1",
    min: bound(step.dataset.min),
    max: bound(step.dataset.max),
    unit: step.dataset.unit ?? "",
    expected: step.dataset.expected ?? "",
  }));
  const lastMeter = form.dataset.lastMeter !== "" && form.dataset.lastMeter !== undefined ? Number(form.dataset.lastMeter) : plotter?.last_meter?.value ?? null;
  const hasVan = form.hasAttribute("data-blank") ? Boolean(pack?.has_van) : form.dataset.hasVan === "1";
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
  // A failed step offers the follow-up job; any other status takes the offer back.
  const showFollowUp = (step) => {
    const followUp = step.querySelector("[data-follow-up]");
    if (!followUp) return;
    followUp.hidden = chosen(step) !== "fail";
    if (followUp.hidden) followUp.querySelector("input").checked = false;
  };
  for (const step of steps) {
    step.addEventListener("change", (event) => {
      if (event.target.type !== "radio") return;
      step.querySelector("[data-at]").value = new Date().toISOString();
      rangeFailed.delete(step); // the tech chose: the range no longer decides alone
      checkRange(step);
      showFollowUp(step);
      updateProgress();
    });
  }

  // A measure with an expected range: a value outside it fails the step at once (the server
  // keeps a measure "done" outside its range as failed, recorded_status()), with the reason
  // and the follow-up offer; back inside, the step is done again unless the tech chose since.
  const ruleOfStep = new Map(steps.map((step, index) => [step, stepRules[index]]));
  const rangeFailed = new Map(); // step card -> its status before the range failed it
  const choose = (step, status) => {
    step.querySelectorAll('input[type="radio"]').forEach((radio) => (radio.checked = radio.value === status));
    const at = step.querySelector("[data-at]");
    if (status && !at.value) at.value = new Date().toISOString();
  };
  function checkRange(step) {
    const rule = ruleOfStep.get(step);
    const input = step.querySelector("[data-range-input]");
    if (!input) return;
    const { value } = measured(rule.meter, input.value);
    const out = value !== null && Number.isFinite(value) && outOfRange(rule, value);
    const status = chosen(step);
    if (out && (status === "done" || status === "")) {
      rangeFailed.set(step, status);
      choose(step, "fail");
    } else if (!out && rangeFailed.has(step) && status === "fail") {
      choose(step, value === null ? rangeFailed.get(step) : "done");
      rangeFailed.delete(step);
    }
    step.querySelector("[data-range-note]").textContent =
      out && chosen(step) === "fail" ? rangeNote(rules.messages, value, rule.unit, rule.expected) : "";
    showFollowUp(step);
  }
  // A step already failed by its range (a draft, a correction) counts as failed by the range.
  const readRanges = () => {
    for (const step of steps) {
      const input = step.querySelector("[data-range-input]");
      if (!input) continue;
      const { value } = measured(ruleOfStep.get(step).meter, input.value);
      if (chosen(step) === "fail" && value !== null && outOfRange(ruleOfStep.get(step), value)) rangeFailed.set(step, "done");
      checkRange(step);
    }
  };
  for (const step of steps) {
    step.querySelector("[data-range-input]")?.addEventListener("input", () => {
      checkRange(step);
      updateProgress();
    });
  }
  readRanges();
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
    row.querySelectorAll("[data-problem]").forEach((el) => el.remove());
    row.classList.remove("has-error");
    row.querySelector("select[name='part-sku']").value = "";
    row.querySelector("input[name='part-qty']").value = "1";
    row.querySelector("select[name='part-from']").value = hasVan ? "van" : "warehouse";
    // (A form saved by an older version has neither field.)
    const old = row.querySelector("select[name='part-old']");
    if (old) old.value = "";
    const serial = row.querySelector("input[name='part-serial']");
    if (serial) serial.value = "";
    rows.append(row);
    showSerials();
    return row;
  };
  // The serial of the part taken out is asked only when it goes back as defective.
  function showSerials() {
    for (const row of rows.querySelectorAll("[data-part-row]")) {
      const field = row.querySelector("[data-part-serial]");
      if (field) field.hidden = row.querySelector("select[name='part-old']")?.value !== "defective";
    }
  }
  rows.addEventListener("change", (event) => {
    if (event.target.matches("[data-part-old]")) showSerials();
  });
  showSerials();
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
  const removedPhotos = new Set(); // taken off before saving: dropped once the visit is saved
  const photoSrc = async (id) => {
    const local = await localPhoto(id);
    return local ? URL.createObjectURL(local.blob) : `/photos/${id}/thumb`;
  };
  const removeButton = (label) => {
    const button = Object.assign(document.createElement("button"), { type: "button", className: "thumb-remove", textContent: "×" });
    button.dataset.removePhoto = "";
    button.setAttribute("aria-label", label);
    return button;
  };
  const thumb = (src, alt) => Object.assign(document.createElement("img"), { src, alt, width: 96, height: 96 });
  const addVisitThumb = (id, src) => {
    const holder = document.createElement("span");
    holder.className = "thumb";
    holder.append(thumb(src, "Photo from this visit"), removeButton("Remove this photo"));
    holder.append(Object.assign(document.createElement("input"), { type: "hidden", name: "photo-id", value: id }));
    form.querySelector("[data-visit-thumbs]").append(holder);
  };
  const setStepPhoto = (step, id, src) => {
    step.querySelector("[data-photo-id]").value = id ?? "";
    const holder = step.querySelector("[data-thumbs]");
    if (!id) return holder.replaceChildren();
    const wrap = Object.assign(document.createElement("span"), { className: "thumb" });
    wrap.append(thumb(src, "Photo for this step"), removeButton("Remove the photo of this step"));
    holder.replaceChildren(wrap);
  };
  // Thumbs the server drew (a form shown again, or a visit being corrected) get a remove button.
  form.querySelectorAll("[data-visit-thumbs] .thumb").forEach((holder) => holder.append(removeButton("Remove this photo")));
  form.querySelectorAll("[data-thumbs] .thumb").forEach((holder) => holder.append(removeButton("Remove the photo of this step")));
  form.addEventListener("click", (event) => {
    const button = event.target.closest("[data-remove-photo]");
    if (!button) return;
    const step = button.closest("[data-step]");
    if (step) {
      removedPhotos.add(step.querySelector("[data-photo-id]").value);
      setStepPhoto(step, null);
    } else {
      const holder = button.closest(".thumb");
      removedPhotos.add(holder.querySelector("input[name='photo-id']").value);
      holder.remove();
    }
    say("Photo removed.");
    saveDraft();
  });
  form.addEventListener("change", async (event) => {
    const input = event.target.closest("[data-photo-input]");
    if (!input || !input.files.length) return;
    for (const file of [...input.files]) {
      try {
        const blob = await downscale(file);
        const id = await keepPhoto(blob);
        if (input.dataset.photoInput === "step") {
          const step = input.closest("[data-step]");
          const previous = step.querySelector("[data-photo-id]").value;
          if (previous) removedPhotos.add(previous);
          setStepPhoto(step, id, URL.createObjectURL(blob));
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

  // ---- signature: drawn, or the one already kept (a correction keeps it) --------------
  const pad = form.querySelector("[data-signature]");
  const signature = { id: form.dataset.signatureId || null, drawn: false, dirty: false };
  let canvas = null;
  let ctx = null;
  const drawSignature = (src) =>
    new Promise((resolve) => {
      const img = new Image();
      img.onload = () => {
        ctx.clearRect(0, 0, canvas.width, canvas.height);
        ctx.drawImage(img, 0, 0, canvas.width, canvas.height);
        signature.drawn = true;
        resolve(true);
      };
      img.onerror = () => resolve(false);
      img.src = src;
    });
  const showKeptSignature = async (id) => {
    signature.id = id;
    signature.dirty = false;
    if (!id || !ctx) return;
    const local = await localPhoto(id);
    await drawSignature(local ? URL.createObjectURL(local.blob) : `/photos/${id}`);
  };
  if (pad) {
    pad.hidden = false;
    canvas = pad.querySelector("canvas");
    ctx = canvas.getContext("2d");
    ctx.lineWidth = 4;
    ctx.lineCap = ctx.lineJoin = "round";
    ctx.strokeStyle = "#14202b";
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
      signature.drawn = signature.dirty = true;
      pad.querySelector("[data-signature-png]").value = canvas.toDataURL("image/png");
      saveDraft();
    };
    canvas.addEventListener("pointerup", end);
    canvas.addEventListener("pointercancel", end);
    pad.querySelector("[data-signature-clear]").addEventListener("click", () => {
      ctx.clearRect(0, 0, canvas.width, canvas.height);
      pad.querySelector("[data-signature-png]").value = "";
      signature.drawn = false;
      signature.dirty = true;
      saveDraft();
    });
    if (signature.id) showKeptSignature(signature.id);
  }

  // ---- meter: one reading (the procedure's meter step, or the meter field) ------------
  const meter = form.querySelector("[data-meter-input]");
  const meterNote = form.querySelector("[data-meter-note]");
  const meterHint = form.querySelector("[data-meter-hint]");
  if (meterHint && lastMeter !== null && !meterHint.textContent.trim() && plotter?.last_meter) {
    const on = new Date(plotter.last_meter.at).toLocaleDateString("en-US", { month: "short", day: "numeric", year: "numeric", timeZone: zone });
    meterHint.textContent = `Last reading ${lastMeter.toLocaleString("en-US")} on ${on}.`;
  } else if (meterHint && lastMeter === null && !meterHint.textContent.trim() && plotter) {
    meterHint.textContent = "No earlier reading.";
  }
  const updateMeterNote = () => {
    if (!meter || !meterNote) return;
    const value = Number(meter.value.replace(/[,\s]/g, ""));
    const lower = lastMeter !== null && meter.value.trim() !== "" && value < lastMeter;
    meterNote.hidden = !lower && !meterNote.querySelector("input").value;
  };
  meter?.addEventListener("input", updateMeterNote);
  updateMeterNote();

  // ---- problems: the server's rules, shown on the fields they concern ------------------
  const problems = document.getElementById("visit-problems");
  const clearProblems = () => {
    form.querySelectorAll("[data-problem]").forEach((el) => el.remove());
    form.querySelectorAll(".has-error").forEach((el) => el.classList.remove("has-error"));
    form.querySelectorAll("[aria-invalid]").forEach((el) => el.removeAttribute("aria-invalid"));
    document.getElementById("visit-errors")?.remove(); // what the server said of a posted form
    problems.hidden = true;
    problems.replaceChildren();
  };
  // The element a wire-format field name is about; made, the payload's steps and part rows.
  const placeOf = (field, made) => {
    const [head, index, tail] = field.split(".");
    if (head === "steps" && index !== undefined) {
      const step = made.steps[Number(index)];
      if (!step) return null;
      const target = { value: "input[name$='-value']", photo: "[data-photo-input]", note: "textarea", follow_up: "[data-follow-up]" }[tail];
      return { box: step, input: target ? step.querySelector(target) : step.querySelector("fieldset") };
    }
    if (head === "steps") {
      // Required steps not done: the note goes under the checklist, the tech to the first one.
      const open = [...form.querySelectorAll("[data-step][data-required='1']")]
        .find((step) => !step.querySelector("input[type=radio]:checked"));
      const section = form.querySelector("[data-step]")?.closest("section") ?? null;
      return { box: section, input: open?.querySelector("fieldset") ?? null, at: open };
    }
    if (head === "parts" && index !== undefined) {
      const row = made.rows[Number(index)];
      const target = { quantity: "input[name='part-qty']", from: "select[name='part-from']", sku: "select[name='part-sku']", serial: "input[name='part-serial']" }[tail];
      return row ? { box: row, input: row.querySelector(target ?? "select") } : null;
    }
    const ids = {
      outcome: "outcome", finished_at: "finished_at", started_at: "started_at", summary: "summary",
      meter_note: "meter_note", "signoff.name": "signoff_name", error_codes: "error_codes",
      photos: "photo-file", parts: "part-search", signoff: "signoff_name",
    };
    if (head === "meter_reading") return meter ? { box: meter.closest(".field"), input: meter } : null;
    const element = document.getElementById(ids[field] ?? ids[head] ?? "");
    if (!element) return null;
    if (head === "meter_note") meterNote.hidden = false;
    return { box: element.closest(".field, fieldset") ?? element, input: element };
  };
  const showProblems = (errors, made, intro) => {
    clearProblems();
    const list = document.createElement("ul");
    list.className = "error-list";
    let first = null;
    for (const [field, texts] of Object.entries(errors)) {
      const place = placeOf(field, made);
      for (const text of texts) {
        const item = document.createElement("li");
        if (place?.box) {
          const note = Object.assign(document.createElement("p"), { className: "error", textContent: text });
          note.dataset.problem = field;
          note.id = `problem-${field.replaceAll(".", "-")}-${list.children.length}`;
          place.box.classList.add("has-error");
          place.box.append(note);
          const control = place.input?.matches("input, select, textarea") ? place.input : place.input?.querySelector("input, select, textarea");
          if (control) {
            control.setAttribute("aria-invalid", "true");
            control.setAttribute("aria-describedby", note.id);
          }
          place.control = control;
          // The first fault on the page, top to bottom, not in the order the rules ran.
          if (!first || first.box.compareDocumentPosition(place.box) & Node.DOCUMENT_POSITION_PRECEDING) first = place;
          const jump = Object.assign(document.createElement("a"), { href: `#${note.id}`, textContent: text });
          item.append(jump);
        } else {
          item.textContent = text;
        }
        list.append(item);
      }
    }
    const title = Object.assign(document.createElement("strong"), { textContent: intro });
    problems.append(title, list);
    problems.hidden = false;
    (first?.at ?? first?.box ?? problems).scrollIntoView({ block: "center" });
    (first?.control ?? problems).focus({ preventScroll: true });
  };
  problems.addEventListener("click", (event) => {
    const link = event.target.closest("a[href^='#problem-']");
    if (!link) return;
    event.preventDefault();
    const note = document.getElementById(link.hash.slice(1));
    note?.scrollIntoView({ block: "center" });
    (note?.closest(".field, fieldset, [data-step], [data-part-row]")?.querySelector("input, select, textarea") ?? note)?.focus({ preventScroll: true });
  });

  // What the form holds that no payload can: a time that is not a time, a value that is not
  // a number (the server's form reader says the same).
  const formProblems = (made) => {
    const errors = {};
    const fail = (name, text) => (errors[name] ??= []).push(text);
    for (const name of ["started_at", "finished_at"]) {
      if (!toInstant(zone, form.elements[name]?.value)) fail(name, format(rules.messages.no_time));
    }
    made.payload.steps.forEach((result, index) => {
      if (Number.isNaN(result.value)) fail(`steps.${index}.value`, format(rules.messages.not_a_number, { value: made.raw[index] }));
    });
    const meterRaw = meter?.value.replace(/[,\s]/g, "") ?? "";
    if (meter?.name === "meter_reading" && meterRaw && !/^\d+$/.test(meterRaw)) fail("meter_reading", format(rules.messages.meter_whole));
    made.payload.parts.forEach((line, index) => {
      if (line.from === "van" && !hasVan) fail(`parts.${index}.from`, rules.messages.no_van);
    });
    return errors;
  };

  // ---- finishing: checked, then into the outbox, then the plotter page ----------------
  const finished = form.querySelector("[data-finished-at]");
  let finishedEdited = Boolean(editing) || amending;
  finished?.addEventListener("input", () => (finishedEdited = true));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (finished && !finishedEdited) finished.value = localInput(zone);
    const made = payloadFrom(form, visit, zone, signature.id);
    const context = { rules, steps: stepRules, jobKind: form.dataset.jobKind || packJob?.kind || null, lastMeter, now: new Date() };
    let errors = formProblems(made);
    if (!Object.keys(errors).length) errors = checkVisit(made.payload, context);
    if (Object.keys(errors).length) {
      const count = Object.values(errors).flat().length;
      showProblems(errors, made, `Not saved yet: ${count} thing${count === 1 ? "" : "s"} to fix.`);
      return;
    }
    clearProblems();
    const button = form.querySelector("[data-finish]");
    button.disabled = true;
    try {
      if (pad && signature.dirty) {
        if (signature.id) removedPhotos.add(signature.id);
        signature.id = signature.drawn ? await keepPhoto(await new Promise((r) => canvas.toBlob(r, "image/png")), "signature") : null;
        signature.dirty = false;
        made.payload.signoff.signature = signature.id;
      }
      const type = amending ? "visit.amend" : "visit.record";
      await enqueue(type, made.payload, { replaces: editing, meta: { sop: form.dataset.sop || "none" } });
      await dropRemovedPhotos(removedPhotos, made.payload);
      localStorage.removeItem(draftKey);
      forgetDraft(visit.id);
      sessionStorage.setItem("fieldapp:saved-visit", JSON.stringify({ id: visit.id, plotter: visit.plotter, amend: amending, offline: !navigator.onLine }));
      if (navigator.onLine) await Promise.race([syncNow({ force: true }), new Promise((r) => setTimeout(r, 4000))]);
      location.assign(`/e/${visit.plotter}#saved`);
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
    // The procedure's version and its steps' keys: a newer version of the form takes over
    // what its steps have in common with this one.
    const keys = Object.fromEntries(steps.map((step) => [step.dataset.step, step.dataset.stepKey]));
    localStorage.setItem(draftKey, JSON.stringify({ saved: Date.now(), values, png, signature: signature.id, removed: [...removedPhotos], version: form.dataset.sopVersion, keys }));
  }
  form.addEventListener("input", saveDraft);
  form.addEventListener("change", saveDraft);
  if (!amending) rememberDraft(visit, plotter, location.pathname + location.hash);

  const posted = document.getElementById("visit-errors");
  if (editing) {
    const op = (await opsFor()).find((item) => item.id === editing);
    if (op) {
      await restore(valuesFromPayload(op.payload, zone), null);
      await showKeptSignature(op.payload.signoff?.signature ?? null);
      const made = payloadFrom(form, visit, zone, signature.id);
      const fields = Object.keys(op.fields ?? {}).length ? op.fields : { _: [op.reason] };
      showProblems(fields, made, `The server refused this visit: ${op.reason}`);
    }
  } else {
    const draft = !posted && JSON.parse(localStorage.getItem(draftKey) || "null");
    if (draft) {
      // Typed on another version of the procedure (this phone has fetched a newer one since).
      const moved = Boolean(draft.version && draft.keys && draft.version !== form.dataset.sopVersion);
      await restore(moved ? carriedOver(draft.values, draft.keys, steps) : draft.values, draft.png);
      draft.removed?.forEach((id) => removedPhotos.add(id));
      if (draft.signature && !draft.png) await showKeptSignature(draft.signature);
      if (moved) {
        const notice = Object.assign(document.createElement("div"), {
          className: "alert alert-warning",
          textContent: `The procedure changed after this visit was started: this phone now has version ${form.dataset.sopNumber}. What you entered for the steps it kept is carried over; check every step before you finish.`,
        });
        notice.setAttribute("role", "status");
        notice.dataset.procedureChanged = "";
        form.before(notice);
      } else {
        say("Your unsaved visit was restored on this phone.");
      }
    }
  }

  async function restore(values, png) {
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
        if (index >= list.length) continue;
        // A part no longer in the list still shows, so the tech sees what was refused.
        if (el.tagName === "SELECT" && list[index] && ![...el.options].some((o) => o.value === list[index])) {
          el.append(new Option(`${list[index]} (not in the parts list)`, list[index]));
        }
        el.value = list[index];
      }
    }
    for (const id of values["photo-id"] ?? []) {
      if (form.querySelector(`input[name="photo-id"][value="${CSS.escape(id)}"]`)) continue;
      addVisitThumb(id, await photoSrc(id));
    }
    showSerials();
    rangeFailed.clear();
    readRanges();
    for (const step of steps) {
      showFollowUp(step);
      const id = step.querySelector("[data-photo-id]")?.value;
      if (id) setStepPhoto(step, id, await photoSrc(id));
    }
    if (png && pad) {
      pad.querySelector("[data-signature-png]").value = png;
      signature.dirty = await drawSignature(png);
    }
    updateProgress();
    updateMeterNote();
  }
}

// Photos taken off the visit: not yet uploaded ones leave the phone; uploaded ones are
// dropped on the server once the visit is in (the op goes after the visit's).
async function dropRemovedPhotos(removed, payload) {
  const used = new Set([...payload.photos, ...payload.steps.map((s) => s.photo), payload.signoff.signature].filter(Boolean));
  const uploaded = [];
  for (const id of removed) {
    if (!id || used.has(id)) continue;
    if (await localPhoto(id)) await remove("photos", id);
    else uploaded.push(id);
  }
  if (uploaded.length) await enqueue("photo.discard", { photos: uploaded });
}

// The blank (offline-capable) form learns its plotter from the offline pack.
function fillBlank(form, visit, plotter, job, pack, zone) {
  const fill = (name, text) => form.ownerDocument.querySelectorAll(`[data-fill="${name}"]`).forEach((el) => (el.textContent = text));
  if (plotter) {
    fill("customer", plotter.customer.name + (visit.job ? ` · ${visit.job}` : ""));
    fill("plotter", `${plotter.make} ${plotter.model}`);
    fill("serial", `SN ${plotter.serial_number}`);
    // Parts that fit this model go first, as on the online form.
    const fits = new Set((pack?.parts ?? []).filter((p) => p.compatible.includes(plotter.model)).map((p) => p.sku));
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
  if (job) form.dataset.jobKind = job.kind;
  const started = form.querySelector("#started_at");
  if (started && !started.value) started.value = localInput(zone, visit.started ? new Date(visit.started) : new Date());
  const codes = form.querySelector("[data-fill-value='error_code']");
  if (codes && !codes.value && job?.error_code) codes.value = job.error_code;
}

// The wire format of a visit (DESIGN.md), from the form's fields; with the step cards and
// part rows in payload order, to show a fault where it is.
function payloadFrom(form, visit, zone, signature) {
  const data = new FormData(form);
  const steps = [];
  const stepCards = [];
  const raw = [];
  for (const step of form.querySelectorAll("[data-step]")) {
    const id = step.dataset.step;
    const status = data.get(`step-${id}-status`);
    if (!status) continue;
    const { text, value } = measured(step.dataset.meter === "1", data.get(`step-${id}-value`));
    steps.push({
      step: Number(id),
      status,
      value,
      note: String(data.get(`step-${id}-note`) ?? ""),
      photo: data.get(`step-${id}-photo-id`) || null,
      at: data.get(`step-${id}-at`) || null,
      follow_up: data.get(`step-${id}-follow_up`) === "1",
    });
    stepCards.push(step);
    raw.push(text);
  }
  const partRows = [];
  const parts = [];
  for (const row of form.querySelectorAll("[data-part-row]")) {
    const sku = row.querySelector("select[name='part-sku']").value.trim();
    if (!sku) continue;
    const defective = row.querySelector("select[name='part-old']")?.value === "defective";
    parts.push({
      sku,
      quantity: Number(row.querySelector("input[name='part-qty']").value),
      from: row.querySelector("select[name='part-from']").value || "van",
      defective,
      serial: defective ? row.querySelector("input[name='part-serial']").value.trim() : "",
    });
    partRows.push(row);
  }
  const meterText = String(data.get("meter_reading") ?? "").replace(/[,\s]/g, "");
  const payload = {
    id: visit.id,
    equipment: visit.plotter,
    job: visit.job || null,
    started_at: toInstant(zone, String(data.get("started_at"))),
    finished_at: toInstant(zone, String(data.get("finished_at"))),
    outcome: String(data.get("outcome") ?? ""),
    summary: String(data.get("summary") ?? ""),
    error_codes: String(data.get("error_codes") ?? "").split(/[,;\n]/).map((c) => c.trim()).filter(Boolean),
    meter_reading: /^\d+$/.test(meterText) ? Number(meterText) : null,
    meter_note: String(data.get("meter_note") ?? ""),
    steps,
    parts,
    photos: data.getAll("photo-id").map(String).filter(Boolean),
    signoff: { name: String(data.get("signoff_name") ?? ""), signature },
    sop_version: Number(form.dataset.sopVersion) || null,
  };
  return { payload, steps: stepCards, rows: partRows, raw };
}

// A draft's step fields renamed to the same steps (by key) of another version of the form;
// fields of steps that version no longer has are left out.
function carriedOver(values, keys, steps) {
  const idOfKey = new Map(steps.map((step) => [step.dataset.stepKey, step.dataset.step]));
  const carried = {};
  for (const [name, list] of Object.entries(values)) {
    const field = /^step-(\d+)-(.+)$/.exec(name);
    if (!field) carried[name] = list;
    else if (idOfKey.has(keys[field[1]])) carried[`step-${idOfKey.get(keys[field[1]])}-${field[2]}`] = list;
  }
  return carried;
}

// A step's value as typed: cleaned, and as a number (null when blank; NaN when not a number).
// A meter reading is a count (182,340); any other value a measurement (3,2 is 3.2).
function measured(meter, typed) {
  const clean = String(typed ?? "").replace(/\s/g, "");
  const text = meter ? clean.replaceAll(",", "") : clean.replace(",", ".");
  return { text, value: text === "" ? null : Number(text) };
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
    "part-old": payload.parts.map((p) => (p.defective ? "defective" : "")),
    "part-serial": payload.parts.map((p) => p.serial ?? ""),
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
