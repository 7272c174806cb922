// Saving an SOP draft as the editor types: debounced PUTs to the API (a POST creates the SOP
// on its first save), one request at a time, a keepalive send when the page goes away, and a
// copy in this browser's localStorage whenever the server has not taken the latest text
// (refused, signed out, or no network), offered back the next time the editor opens.

import { fetchWithCsrf } from "./photos.js";

const DEBOUNCE_MS = 800;
// Browsers refuse keepalive bodies above 64 KiB; a bigger draft relies on its local copy.
const KEEPALIVE_LIMIT = 60_000;

// The same document always gives the same text, whatever order its keys were written in.
export function canonical(value) {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value && typeof value === "object") {
    return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`).join(",")}}`;
  }
  return JSON.stringify(value ?? null);
}

export class DraftSaver {
  // read() gives {doc, problems}: the editor's document and what the browser itself can tell
  // is wrong (a number field holding no number). report(state, detail) shows the outcome.
  constructor({ slug, user, createUrl, draftUrl, read, report, onCreated }) {
    this.slug = slug || null;
    this.user = user;
    this.createUrl = createUrl;
    this.draftUrl = draftUrl;
    this.read = read;
    this.report = report;
    this.onCreated = onCreated;
    this.timer = null;
    this.running = null;
    this.again = false;
    this.saved = canonical(read().doc); // what the server holds now
    this.savedAt = null; // when this page last saved it
    addEventListener("online", () => { if (this.isDirty()) this.save(); });
    addEventListener("pagehide", () => this.saveOnExit());
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "hidden") this.saveOnExit();
    });
  }

  storageKey(slug = this.slug) {
    return `fieldapp:sop-draft:${this.user}:${slug || "new"}`;
  }

  isDirty() {
    return canonical(this.read().doc) !== this.saved;
  }

  schedule() {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.save(), DEBOUNCE_MS);
  }

  // Save now (after any save in flight); resolves true when the server holds the text.
  save(options = {}) {
    clearTimeout(this.timer);
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      let ok;
      try {
        do {
          this.again = false;
          ok = await this.saveOnce(options);
        } while (this.again);
      } finally {
        this.running = null;
      }
      return ok;
    })();
    return this.running;
  }

  async saveOnce({ keepalive = false } = {}) {
    const { doc, problems } = this.read();
    const text = canonical(doc);
    if (problems.length) {
      this.keepLocal(doc);
      this.report("invalid", { fields: Object.fromEntries(problems.map((p) => [p.field, [p.message]])) });
      return false;
    }
    if (text === this.saved) {
      this.dropLocal();
      this.report("unchanged", { at: this.savedAt });
      return true;
    }
    const body = JSON.stringify(doc);
    const creating = !this.slug;
    this.report("saving");
    let response;
    try {
      response = await fetchWithCsrf(creating ? this.createUrl : this.draftUrl.replace("__SLUG__", this.slug), {
        method: creating ? "POST" : "PUT",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body,
        keepalive: keepalive && body.length < KEEPALIVE_LIMIT,
      });
    } catch {
      this.keepLocal(doc);
      this.report("offline");
      return false;
    }
    const answer = await response.json().catch(() => null);
    if (response.ok) {
      if (creating) {
        this.dropLocal();
        this.slug = answer.slug;
        this.onCreated(answer.slug);
      }
      this.saved = text;
      this.savedAt = answer?.saved_at || new Date().toISOString();
      this.dropLocal();
      this.report("saved", { at: this.savedAt });
      return true;
    }
    this.keepLocal(doc);
    if (response.status === 422) {
      this.report("invalid", { fields: answer?.error?.fields || {}, message: answer?.error?.message });
    } else {
      this.report("refused", { status: response.status, message: answer?.error?.message });
    }
    return false;
  }

  // The page is going away (closed tab, app switch): keep a copy, and send what is unsaved.
  saveOnExit() {
    const { doc } = this.read();
    if (canonical(doc) === this.saved) return;
    this.keepLocal(doc);
    this.save({ keepalive: true });
  }

  keepLocal(doc) {
    try {
      localStorage.setItem(this.storageKey(), JSON.stringify({ at: new Date().toISOString(), doc }));
    } catch {
      // Storage full or disabled: the status line already says the text is not saved.
    }
  }

  localCopy() {
    try {
      const copy = JSON.parse(localStorage.getItem(this.storageKey()) || "null");
      return copy && copy.doc && Array.isArray(copy.doc.steps) ? copy : null;
    } catch {
      return null;
    }
  }

  dropLocal() {
    try {
      localStorage.removeItem(this.storageKey());
    } catch {
      // Nothing kept, nothing to drop.
    }
  }
}
