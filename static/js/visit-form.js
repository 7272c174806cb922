// The visit page on a phone: step ticks with their time, progress, one step at a time,
// part search, photos shrunk and uploaded as they are taken, the signature pad, the meter
// check, the list of what is missing, and a draft kept on the phone until the visit is saved.
// Without JavaScript the same form posts everything at once.

import { downscale, newId, uploadPhoto } from "./photos.js";

const form = document.querySelector("[data-visit-form]");
if (form) enhance(form);

// "Now" as the company's wall clock (the form's times are in the company's zone, which a
// phone abroad or a tablet set to UTC does not share).
function companyNow(timeZone) {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-CA", {
      timeZone, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23",
    }).formatToParts(new Date()).map((p) => [p.type, p.value]),
  );
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}`;
}

function enhance(form) {
  const draftKey = `visit-draft:${form.dataset.visitId}`;
  const steps = [...form.querySelectorAll("[data-step]")];
  const status = document.querySelector('.flashes[role="status"]');
  const say = (text, kind = "info") => {
    const note = document.createElement("div");
    note.className = `flash flash-${kind}`;
    note.textContent = text;
    status?.append(note);
    setTimeout(() => note.remove(), 8000);
  };

  // ---- steps -------------------------------------------------------------
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
    form.classList.toggle("one-at-a-time", mode === "one");
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
  const options = [...rows.querySelector("select[name='part-sku']").options].filter((o) => o.value);
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
      const hits = options.filter((o) => words.every((w) => o.textContent.toLowerCase().includes(w))).slice(0, 8);
      if (!hits.length) {
        const li = document.createElement("li");
        li.className = "muted";
        li.textContent = "No part matches. Try the part number.";
        results.append(li);
      }
      for (const option of hits) {
        const li = document.createElement("li");
        const button = document.createElement("button");
        button.type = "button";
        button.className = "part-hit";
        button.textContent = option.textContent;
        button.dataset.sku = option.value;
        if (option.parentElement.label?.startsWith("Fits")) button.classList.add("fits");
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

  // ---- photos ---------------------------------------------------------------
  const thumb = (id, url) => {
    const img = document.createElement("img");
    img.src = url;
    img.alt = "Photo from this visit";
    img.width = img.height = 96;
    return img;
  };
  form.addEventListener("change", async (event) => {
    const input = event.target.closest("[data-photo-input]");
    if (!input || !input.files.length) return;
    const files = [...input.files];
    let failed = 0;
    for (const file of files) {
      try {
        const id = newId();
        const photo = await uploadPhoto(id, await downscale(file));
        if (input.dataset.photoInput === "step") {
          const step = input.closest("[data-step]");
          step.querySelector("[data-photo-id]").value = photo.id;
          step.querySelector("[data-thumbs]").replaceChildren(thumb(photo.id, photo.thumbnail_url));
          const done = step.querySelector('input[type="radio"][value="done"]');
          if (done && !chosen(step)) done.click();
        } else {
          const holder = document.createElement("span");
          holder.className = "thumb";
          const hidden = Object.assign(document.createElement("input"), { type: "hidden", name: "photo-id", value: photo.id });
          holder.append(thumb(photo.id, photo.thumbnail_url), hidden);
          form.querySelector("[data-visit-thumbs]").append(holder);
        }
      } catch (error) {
        failed += 1;
        say(`A photo was not uploaded: ${error.message}. It will be sent when you finish.`, "warning");
      }
    }
    if (!failed) input.value = ""; // uploaded: the form must not send the originals too
    saveDraft();
  });

  // ---- signature ---------------------------------------------------------------
  const pad = form.querySelector("[data-signature]");
  if (pad) {
    pad.hidden = false;
    const canvas = pad.querySelector("canvas");
    const png = pad.querySelector("[data-signature-png]");
    const ctx = canvas.getContext("2d");
    ctx.lineWidth = 4;
    ctx.lineCap = ctx.lineJoin = "round";
    ctx.strokeStyle = "#14202b";
    if (png.value) {
      const img = new Image();
      img.onload = () => ctx.drawImage(img, 0, 0);
      img.src = png.value;
    }
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
      png.value = canvas.toDataURL("image/png");
      saveDraft();
    };
    canvas.addEventListener("pointerup", end);
    canvas.addEventListener("pointercancel", end);
    pad.querySelector("[data-signature-clear]").addEventListener("click", () => {
      ctx.clearRect(0, 0, canvas.width, canvas.height);
      png.value = "";
      saveDraft();
    });
  }

  // ---- meter ---------------------------------------------------------------
  const meter = form.querySelector("[data-meter]");
  const last = Number(form.dataset.lastMeter || NaN);
  const meterNote = form.querySelector("[data-meter-note]");
  meter?.addEventListener("input", () => {
    const value = Number(meter.value.replace(/[,\s]/g, ""));
    const lower = Number.isFinite(last) && meter.value.trim() !== "" && value < last;
    meterNote.hidden = !lower && !meterNote.querySelector("input").value;
  });

  // ---- finishing -----------------------------------------------------------
  const finished = form.querySelector("[data-finished-at]");
  let finishedEdited = false;
  finished?.addEventListener("input", () => (finishedEdited = true));
  const missingBox = document.getElementById("missing-steps");
  form.addEventListener("submit", (event) => {
    const missing = steps.filter((step) => step.dataset.required === "1" && !["done", "pass", "fail", "n/a"].includes(chosen(step)));
    steps.forEach((step) => step.classList.toggle("missing", missing.includes(step)));
    if (missing.length) {
      event.preventDefault();
      missingBox.hidden = false;
      missingBox.replaceChildren();
      const title = document.createElement("strong");
      title.textContent = `${missing.length} required step${missing.length > 1 ? "s are" : " is"} not done:`;
      const list = document.createElement("ul");
      for (const step of missing) {
        const li = document.createElement("li");
        li.textContent = step.dataset.title;
        list.append(li);
      }
      missingBox.append(title, list);
      missingBox.tabIndex = -1;
      missingBox.focus();
      missingBox.scrollIntoView({ block: "start" });
      return;
    }
    if (finished && !finishedEdited) finished.value = companyNow(form.dataset.timezone);
    localStorage.removeItem(draftKey);
  });

  // ---- draft: nothing typed is lost to a reload or a flat battery ---------------
  function saveDraft() {
    const values = {};
    for (const el of form.elements) {
      if (!el.name || el.type === "file" || el.name === "csrf_token") continue;
      if ((el.type === "radio" || el.type === "checkbox") && !el.checked) continue;
      (values[el.name] ??= []).push(el.value);
    }
    localStorage.setItem(draftKey, JSON.stringify({ saved: Date.now(), values }));
  }
  form.addEventListener("input", saveDraft);
  form.addEventListener("change", saveDraft);
  const posted = document.getElementById("visit-errors");
  const draft = !posted && JSON.parse(localStorage.getItem(draftKey) || "null");
  if (draft) restore(draft.values);

  function restore(values) {
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
      const holder = document.createElement("span");
      holder.className = "thumb";
      holder.append(thumb(id, `/photos/${id}/thumb`), Object.assign(document.createElement("input"), { type: "hidden", name: "photo-id", value: id }));
      form.querySelector("[data-visit-thumbs]").append(holder);
    }
    steps.forEach((step) => {
      const followUp = step.querySelector("[data-follow-up]");
      if (followUp) followUp.hidden = chosen(step) !== "fail";
    });
    updateProgress();
    say("Your unsaved visit was restored on this phone.");
  }
}
