// The SOP editor (office): the SOP's details, its steps added, removed and moved with buttons
// (keyboard reachable), reference images uploaded as photos, the server's messages shown next
// to the field they name, and the draft saved as you type (sop-autosave.js).

import { clock } from "./companytime.js";
import { DraftSaver, canonical } from "./sop-autosave.js";
import { downscale, fetchWithCsrf } from "./photos.js";

const MAX_IMAGES = 6;
const root = document.querySelector("[data-sop-editor]");
if (root) startEditor(root);

function startEditor(root) {
  const about = root.querySelector(".sop-about-edit");
  const list = root.querySelector("[data-steps]");
  const template = root.querySelector("#sop-step-template");
  const status = root.querySelector("[data-save-status]");
  const announcer = root.querySelector("[data-announce]");
  const publishForm = root.querySelector("[data-publish-form]");
  const publishButton = root.querySelector("[data-publish]");
  const timeZone = root.dataset.timezone;
  let nextId = 1000;
  let removed = null; // the last removed step, for Undo

  const topField = (name) => about.querySelector(`[data-field="${name}"]`);
  const stepField = (step, name) => step.querySelector(`[data-field="${name}"]`);
  const steps = () => [...list.querySelectorAll(":scope > [data-step]")];
  const newKey = () => (crypto.randomUUID ? crypto.randomUUID() : null);

  // ---- reading and writing the document ------------------------------------------------

  function readDocument() {
    const problems = [];
    const someModels = root.querySelector('[data-applies="some"]').checked;
    const doc = {
      title: topField("title").value,
      category: topField("category").value,
      summary: topField("summary").value,
      applies_to: someModels ? [...root.querySelectorAll("[data-applies-list] [data-entry]")].map((li) => li.dataset.entry) : [],
      steps: steps().map((step, index) => readStep(step, index, problems)),
    };
    return { doc, problems };
  }

  function readStep(step, index, problems) {
    const kind = stepField(step, "kind").value;
    const measure = kind === "measure";
    const number = (name) => {
      const input = stepField(step, name);
      if (!measure) return null;
      if (input.validity.badInput) {
        problems.push({ field: `steps.${index}.${name}`, message: "Enter a number, e.g. 4.5." });
        return null;
      }
      return input.value.trim() === "" ? null : Number(input.value);
    };
    return {
      key: step.dataset.key || null,
      title: stepField(step, "title").value,
      detail: stepField(step, "detail").value,
      kind,
      required: stepField(step, "required").checked,
      unit: measure ? stepField(step, "unit").value.trim() : "",
      min: number("min"),
      max: number("max"),
      meter: measure && stepField(step, "meter").checked,
      images: [...step.querySelectorAll("[data-images] [data-photo]")].map((li) => li.dataset.photo),
    };
  }

  function writeDocument(doc) {
    topField("title").value = doc.title ?? "";
    topField("category").value = doc.category ?? "repair";
    topField("summary").value = doc.summary ?? "";
    const entries = doc.applies_to ?? [];
    root.querySelector(`[data-applies="${entries.length ? "some" : "all"}"]`).checked = true;
    root.querySelector("[data-applies-list]").replaceChildren(...entries.map(entryItem));
    showApplies();
    list.replaceChildren(...(doc.steps ?? []).map(makeStep));
    renumber();
  }

  function makeStep(data) {
    const fragment = template.content.cloneNode(true);
    const step = fragment.querySelector("[data-step]");
    const id = `s${nextId++}`;
    for (const el of step.querySelectorAll("[id], [for], [aria-labelledby], [aria-describedby]")) {
      for (const name of ["id", "for", "aria-labelledby", "aria-describedby"]) {
        const value = el.getAttribute(name);
        if (value && value.includes("__ID__")) el.setAttribute(name, value.replaceAll("__ID__", id));
      }
    }
    const value = step.getAttribute("aria-labelledby");
    step.setAttribute("aria-labelledby", value.replaceAll("__ID__", id));
    step.dataset.key = data.key || newKey() || "";
    step.dataset.kind = data.kind || "check";
    stepField(step, "title").value = data.title ?? "";
    stepField(step, "detail").value = data.detail ?? "";
    stepField(step, "kind").value = data.kind || "check";
    stepField(step, "required").checked = data.required ?? true;
    stepField(step, "unit").value = data.unit ?? "";
    stepField(step, "min").value = data.min ?? "";
    stepField(step, "max").value = data.max ?? "";
    stepField(step, "meter").checked = Boolean(data.meter);
    const images = step.querySelector("[data-images]");
    (data.images ?? []).forEach((photo) => images.append(imageItem(photo, thumbUrl(photo))));
    numberImages(step);
    return step;
  }

  function renumber() {
    const all = steps();
    all.forEach((step, index) => {
      const n = index + 1;
      step.querySelectorAll("[data-step-number]").forEach((el) => { el.textContent = n; });
      step.querySelector('[data-move="up"]').setAttribute("aria-label", `Move step ${n} up`);
      step.querySelector('[data-move="down"]').setAttribute("aria-label", `Move step ${n} down`);
      step.querySelector("[data-remove-step]").setAttribute("aria-label", `Remove step ${n}`);
      step.querySelector('[data-move="up"]').disabled = index === 0;
      step.querySelector('[data-move="down"]').disabled = index === all.length - 1;
    });
  }

  // ---- applies to ------------------------------------------------------------------------

  function entryItem(entry) {
    const li = document.createElement("li");
    li.dataset.entry = entry;
    const text = document.createElement("span");
    text.textContent = entry;
    const remove = Object.assign(document.createElement("button"), { type: "button", textContent: "×" });
    remove.dataset.removeEntry = "";
    remove.setAttribute("aria-label", `Remove ${entry}`);
    li.append(text, remove);
    return li;
  }

  function showApplies() {
    const some = root.querySelector('[data-applies="some"]').checked;
    root.querySelector("[data-applies-some]").hidden = !some;
  }

  function addEntry() {
    const input = root.querySelector("[data-applies-input]");
    const entry = input.value.split(/\s+/).filter(Boolean).join(" ");
    if (!entry) return;
    const listEl = root.querySelector("[data-applies-list]");
    const known = [...listEl.querySelectorAll("[data-entry]")].map((li) => li.dataset.entry.toLowerCase());
    if (!known.includes(entry.toLowerCase())) listEl.append(entryItem(entry));
    input.value = "";
    changed();
  }

  // ---- images --------------------------------------------------------------------------

  const thumbUrl = (photo) => root.dataset.thumbUrl.replace("00000000-0000-4000-8000-000000000000", photo);

  function imageItem(photo, src) {
    const li = document.createElement("li");
    if (photo) li.dataset.photo = photo;
    const img = Object.assign(document.createElement("img"), { src, alt: "Reference image" });
    const remove = Object.assign(document.createElement("button"), { type: "button", className: "btn btn-ghost btn-small", textContent: "Remove" });
    remove.dataset.removeImage = "";
    li.append(img, remove);
    return li;
  }

  function numberImages(step) {
    step.querySelectorAll("[data-images] > li").forEach((li, index) => {
      li.querySelector("img").alt = `Reference image ${index + 1}`;
      li.querySelector("[data-remove-image]").setAttribute("aria-label", `Remove reference image ${index + 1}`);
    });
  }

  async function addImages(step, input) {
    const slot = step.querySelector('[data-error="images"]');
    const images = step.querySelector("[data-images]");
    for (const file of [...input.files]) {
      if (images.children.length >= MAX_IMAGES) {
        showSlot(slot, `Attach at most ${MAX_IMAGES} images.`);
        break;
      }
      const photo = crypto.randomUUID();
      const preview = URL.createObjectURL(file);
      const item = imageItem(null, preview);
      item.classList.add("uploading");
      item.querySelector("[data-remove-image]").hidden = true;
      images.append(item);
      numberImages(step);
      try {
        const blob = await downscale(file);
        const response = await fetchWithCsrf(root.dataset.photoUrl.replace("00000000-0000-4000-8000-000000000000", photo), {
          method: "PUT",
          headers: { "Content-Type": "image/jpeg" },
          body: blob,
        });
        const answer = await response.json().catch(() => null);
        if (!response.ok) throw new Error(answer?.error?.message || `The server answered ${response.status}.`);
        item.dataset.photo = photo;
        item.classList.remove("uploading");
        item.querySelector("img").src = answer.thumbnail_url;
        item.querySelector("[data-remove-image]").hidden = false;
        hideSlot(slot);
        changed();
      } catch (error) {
        item.remove();
        numberImages(step);
        const reason = error instanceof TypeError ? "no connection; try again when online." : error.message;
        showSlot(slot, `That image was not added: ${reason}`);
      } finally {
        URL.revokeObjectURL(preview);
      }
    }
    input.value = "";
  }

  // ---- messages --------------------------------------------------------------------------

  function showSlot(slot, text) {
    if (!slot) return;
    slot.textContent = text;
    slot.hidden = false;
    const field = slot.closest(".field, fieldset, .sop-images-edit");
    field?.classList.add("has-error");
    field?.querySelector("input:not([type=checkbox]):not([type=radio]):not([type=file]), select, textarea")?.setAttribute("aria-invalid", "true");
  }

  function hideSlot(slot) {
    slot.hidden = true;
    slot.textContent = "";
    const field = slot.closest(".field, fieldset, .sop-images-edit");
    field?.classList.remove("has-error");
    field?.querySelector("[aria-invalid]")?.removeAttribute("aria-invalid");
  }

  function clearErrors() {
    root.querySelectorAll("[data-error]").forEach((slot) => {
      if (!slot.hidden) hideSlot(slot);
    });
  }

  const topSlot = (name) => [...root.querySelectorAll(`[data-error="${name}"]`)].find((el) => !el.closest("[data-step]"));

  // A field name as the API gives it ("steps.2.min", "applies_to.0") -> where to show it.
  function slotFor(name) {
    const inStep = /^steps\.(\d+)\.([a-z_]+)/.exec(name);
    if (inStep) {
      const step = steps()[Number(inStep[1])];
      return step?.querySelector(`[data-error="${inStep[2]}"]`) ?? step?.querySelector('[data-error="_step"]');
    }
    return topSlot(name.split(".")[0]) ?? topSlot("_schema");
  }

  function describe(name, message) {
    const inStep = /^steps\.(\d+)\./.exec(name);
    return inStep ? `step ${Number(inStep[1]) + 1}: ${message}` : message;
  }

  function showErrors(fields) {
    clearErrors();
    const entries = Object.entries(fields);
    for (const [name, messages] of entries) showSlot(slotFor(name), messages.join(" "));
    return entries.length ? describe(entries[0][0], entries[0][1][0]) : "";
  }

  function setStatus(state, text) {
    status.dataset.state = state;
    status.textContent = text;
  }

  function report(state, detail = {}) {
    if (state === "saving") setStatus("saving", "Saving…");
    else if (state === "saved") {
      clearErrors();
      setStatus("saved", `Saved ${clock(timeZone, detail.at)}`);
      root.querySelector("[data-discard]")?.removeAttribute("hidden");
    } else if (state === "unchanged") {
      // Back to what the server holds (an edit undone, a refused change taken back).
      clearErrors();
      if (detail.at) setStatus("saved", `Saved ${clock(timeZone, detail.at)}`);
      else if (status.dataset.state !== "saved") setStatus("idle", "No changes to save.");
    } else if (state === "invalid") {
      const first = (showErrors(detail.fields || {}) || detail.message || "check the fields marked in red").replace(/\.$/, "");
      setStatus("error", `Not saved: ${first}. A copy is kept in this browser.`);
    } else if (state === "offline") {
      setStatus("error", "Not saved: no connection. A copy is kept in this browser; it saves when the connection is back.");
    } else if (state === "refused") {
      const reasons = {
        401: "you are signed out. Sign in again in another tab, then change anything here to save",
        403: "your account may not edit SOPs",
        404: "this SOP no longer exists",
        409: detail.message,
        413: "the SOP is too large to save",
      };
      const reason = reasons[detail.status] || `the server answered ${detail.status}; try again in a moment`;
      setStatus("error", `Not saved: ${reason}. A copy is kept in this browser.`);
    }
  }

  const announce = (text) => { announcer.textContent = text; };

  // ---- saving ----------------------------------------------------------------------------

  // Every step carries its key from the start: the key names the step from version to version.
  renumber();
  steps().forEach((step) => { if (!step.dataset.key) step.dataset.key = newKey() || ""; });

  const saver = new DraftSaver({
    slug: root.dataset.slug,
    user: root.dataset.user,
    createUrl: root.dataset.createUrl,
    draftUrl: root.dataset.draftUrl,
    read: readDocument,
    report,
    onCreated(slug) {
      root.dataset.slug = slug;
      history.replaceState(history.state, "", root.dataset.editUrl.replace("__SLUG__", slug));
      publishForm.action = publishForm.dataset.action.replace("__SLUG__", slug);
      publishButton.disabled = false;
    },
  });

  function changed() {
    if (status.dataset.state !== "error") setStatus("dirty", "Unsaved changes…");
    const draftError = topSlot("draft");
    if (draftError && !draftError.hidden) hideSlot(draftError);
    saver.schedule();
  }

  // Work the server never took, from the last time this editor was open here.
  const copy = saver.localCopy();
  if (copy && canonical(copy.doc) !== canonical(readDocument().doc)) {
    const offer = root.querySelector("[data-restore]");
    offer.querySelector("[data-restore-time]").textContent = clock(timeZone, copy.at);
    offer.hidden = false;
    offer.querySelector("[data-restore-apply]").addEventListener("click", () => {
      writeDocument(copy.doc);
      offer.hidden = true;
      announce("Your unsaved changes are back.");
      topField("title").focus();
      saver.save();
    });
    offer.querySelector("[data-restore-drop]").addEventListener("click", () => {
      saver.dropLocal();
      offer.hidden = true;
      announce("The unsaved copy was thrown away.");
    });
  } else if (copy) {
    saver.dropLocal();
  }

  // ---- events ----------------------------------------------------------------------------

  root.addEventListener("input", (event) => {
    // The change note goes with Publish; typing an entry is not a change until it is added.
    if (event.target.matches("[data-applies-input], [data-add-image]")) return;
    if (event.target.closest("[data-publish-form]")) return;
    changed();
  });

  root.addEventListener("change", (event) => {
    const target = event.target;
    if (target.matches("[data-add-image]")) {
      addImages(target.closest("[data-step]"), target);
    } else if (target.matches('[data-field="kind"]')) {
      target.closest("[data-step]").dataset.kind = target.value;
      changed();
    } else if (target.matches("[data-applies]")) {
      showApplies();
      if (target.value === "some") root.querySelector("[data-applies-input]").focus();
      changed();
    } else if (target.matches("[data-applies-input]")) {
      addEntry();
    } else if (target.matches('input[type="checkbox"]')) {
      changed();
    }
  });

  root.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && event.target.matches("[data-applies-input]")) {
      event.preventDefault();
      addEntry();
    }
  });

  root.addEventListener("click", (event) => {
    const button = event.target.closest("button");
    if (!button || !root.contains(button)) return;
    const step = button.closest("[data-step]");
    if (button.matches("[data-move]")) moveStep(step, button.dataset.move);
    else if (button.matches("[data-remove-step]")) removeStep(step);
    else if (button.matches("[data-add-step]")) addStep();
    else if (button.matches("[data-undo-button]")) undoRemove();
    else if (button.matches("[data-applies-add]")) addEntry();
    else if (button.matches("[data-remove-entry]")) {
      const entry = button.closest("[data-entry]");
      announce(`Removed ${entry.dataset.entry}.`);
      entry.remove();
      root.querySelector("[data-applies-input]").focus();
      changed();
    } else if (button.matches("[data-remove-image]")) {
      const item = button.closest("li");
      const next = item.nextElementSibling?.querySelector("[data-remove-image]") || item.previousElementSibling?.querySelector("[data-remove-image]");
      item.remove();
      numberImages(step);
      (next || step.querySelector("[data-add-image]")).focus();
      announce("Reference image removed.");
      changed();
    }
  });

  function moveStep(step, direction) {
    const other = direction === "up" ? step.previousElementSibling : step.nextElementSibling;
    if (!other) return;
    if (direction === "up") other.before(step);
    else other.after(step);
    renumber();
    const same = step.querySelector(`[data-move="${direction}"]`);
    (same.disabled ? step.querySelector(`[data-move="${direction === "up" ? "down" : "up"}"]`) : same).focus();
    announce(`Step moved to position ${steps().indexOf(step) + 1}.`);
    changed();
  }

  function removeStep(step) {
    const index = steps().indexOf(step);
    const title = stepField(step, "title").value.trim();
    removed = { step, index };
    step.remove();
    renumber();
    const undo = root.querySelector("[data-undo]");
    undo.querySelector("[data-undo-text]").textContent = `Removed step ${index + 1}${title ? `, “${title}”` : ""}.`;
    undo.hidden = false;
    undo.querySelector("[data-undo-button]").focus();
    announce(`Step ${index + 1} removed. Undo is next to the Add a step button.`);
    changed();
  }

  function undoRemove() {
    if (!removed) return;
    const after = steps()[removed.index];
    if (after) after.before(removed.step);
    else list.append(removed.step);
    renumber();
    stepField(removed.step, "title").focus();
    announce(`Step ${removed.index + 1} is back.`);
    removed = null;
    root.querySelector("[data-undo]").hidden = true;
    changed();
  }

  function addStep() {
    const step = makeStep({ kind: "check", required: true });
    list.append(step);
    renumber();
    stepField(step, "title").focus();
    announce(`Step ${steps().length} added.`);
    changed();
  }

  // Publishing: the form posts to the page, once the server holds the latest text.
  publishForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!root.dataset.slug) return;
    publishButton.disabled = true;
    const ok = await saver.save();
    if (ok) {
      publishForm.submit();
      return;
    }
    publishButton.disabled = false;
    showSlot(topSlot("draft"), "The draft is not saved yet: fix what is marked, then publish.");
  });
}
