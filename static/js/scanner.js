/**
 * The /scan page: point the camera at a plotter's QR label and open that plotter.
 *
 * Progressive enhancement: the page's short-code form works without this module. The module
 * shows the viewfinder, runs the camera and the decoder, and opens /e/<token> on this origin
 * for this app's own labels only: a scanned text is never followed as a link.
 */

import { normaliseCode, originOf, parseScan, shortCode } from "./codes.js";
import { cameraAlreadyAllowed, cameraSupported, openCamera } from "./scanner/camera.js";
import { createDecoder } from "./scanner/decoder.js";
import { primeSound, signalSuccess } from "./scanner/feedback.js";

// ~8 decodes a second: fast enough to feel instant, slow enough to spare a phone's battery.
const SCAN_INTERVAL_MS = 120;
// Long enough for the beep and the buzz to register: leaving the page cuts both off.
const OPEN_DELAY_MS = 130;
const QUOTE_MAX = 200;

const MESSAGES = {
  intro: [
    "Point the camera at the plotter's QR label",
    "Tap Start camera. The plotter opens as soon as the label is read.",
  ],
  starting: ["Starting the camera…", "If your phone asks, allow the camera."],
  looking: ["Looking for a QR label…", "Hold the label inside the frame, a hand's width away."],
  notLabel: "This QR code isn't a FieldApp label",
  reader: ["The QR reader couldn't start", "Type the short code below instead."],
};

const COVER_TEXT = {
  idle: "Camera is off",
  starting: "Starting the camera…",
  error: "Camera unavailable",
};

const CAMERA_PROBLEMS = {
  NotAllowedError:
    "Camera access is blocked for this site. Type the short code below instead, or allow the " +
    "camera in your browser's site settings and tap Try again.",
  NotFoundError: "This device has no camera we can use. Type the short code below instead.",
  NotReadableError:
    "The camera is busy: another app may be using it. Close that app and tap Try again, " +
    "or type the short code below.",
  unsupported:
    "This browser can't use the camera here. Type the short code below, or scan the label " +
    "with your phone's camera app: it opens the plotter page directly.",
  ended: "The camera stopped. Tap Try again, or type the short code below.",
};
// Older and vendor-specific names for the same problems.
const PROBLEM_ALIASES = {
  SecurityError: "NotAllowedError",
  PermissionDeniedError: "NotAllowedError",
  DevicesNotFoundError: "NotFoundError",
  OverconstrainedError: "NotFoundError",
  TrackStartError: "NotReadableError",
  AbortError: "NotReadableError",
};

function refusalDetail(result) {
  switch (result.reason) {
    case "other-site":
      return `It links to ${result.host}. Nothing was opened: FieldApp only opens its own labels.`;
    case "not-a-label":
      return "It links to FieldApp, but not to a plotter. Nothing was opened.";
    default:
      return "Nothing was opened. Scan the FieldApp label on the plotter, or type the code printed under it.";
  }
}

function quote(text) {
  return text.length > QUOTE_MAX ? `${text.slice(0, QUOTE_MAX)}…` : text;
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

class ScannerPage {
  constructor(root) {
    this.root = root;
    this.viewfinder = root.querySelector("[data-viewfinder]");
    this.video = root.querySelector("video");
    this.status = root.querySelector("[data-status]");
    this.startButton = root.querySelector("[data-start]");
    this.startLabel = root.querySelector("[data-start-label]");
    this.coverText = root.querySelector("[data-cover-text]");
    this.controls = root.querySelector("[data-controls]");
    this.torchButton = root.querySelector("[data-torch]");
    this.stopButton = root.querySelector("[data-stop]");
    this.form = document.querySelector("[data-code-form]");
    this.plotterUrl = root.dataset.plotterUrl;
    this.origins = [originOf(root.dataset.publicUrl), location.origin].filter(Boolean);
    this.session = null; // the current camera run; a new run or a stop cancels it
    this.decoderReady = null;
    this.decoder = null;
    this.resumeOnReturn = false;
  }

  async init() {
    this.root.hidden = false;
    this.startButton.addEventListener("click", () => this.start({ byTap: true }));
    this.stopButton.addEventListener("click", () => this.stopAndReset());
    this.torchButton.addEventListener("click", () => this.toggleTorch());
    if (this.form) this.form.addEventListener("submit", (event) => this.openTypedCodeOffline(event));
    // Switching apps or leaving the page turns the camera (and its light) off at once.
    document.addEventListener("visibilitychange", () => this.onVisibilityChange());
    window.addEventListener("pagehide", () => this.stop());
    // Coming back from the plotter page with the Back button restores this page as it was left.
    window.addEventListener("pageshow", (event) => event.persisted && this.reset());

    if (!cameraSupported()) {
      this.showCameraProblem("unsupported");
      this.startButton.hidden = true;
      return;
    }
    this.reset();
  }

  async reset() {
    this.setState("idle");
    this.say("info", ...MESSAGES.intro);
    // A page shown with a typed-code error is about that code: don't pull focus to the camera.
    if (this.root.dataset.autostart === "yes" && (await cameraAlreadyAllowed())) {
      this.start({ byTap: false });
    }
  }

  setState(state) {
    this.viewfinder.dataset.state = state;
    const live = state === "starting" || state === "scanning";
    this.controls.hidden = !live;
    this.startButton.disabled = live;
    if (state !== "scanning") this.setTorchAvailable(false);
    this.coverText.textContent = COVER_TEXT[state] || COVER_TEXT.idle;
    this.startLabel.textContent = state === "error" ? "Try again" : "Start camera";
  }

  /** Put a message in the role="status" region; scanned text goes in as text, never as HTML. */
  say(tone, title, detail = "", quoted = null) {
    const parts = [Object.assign(document.createElement("strong"), { textContent: title })];
    if (detail) parts.push(Object.assign(document.createElement("span"), { textContent: detail }));
    if (quoted !== null) {
      const block = document.createElement("code");
      block.className = "scan-quote";
      block.textContent = quote(quoted);
      parts.push(block);
    }
    this.status.dataset.tone = tone;
    this.status.replaceChildren(...parts);
  }

  async start({ byTap }) {
    if (this.session) return;
    if (byTap) primeSound();
    const session = { cancelled: false, camera: null, lastRefused: null };
    this.session = session;
    this.setState("starting");
    this.say("info", ...MESSAGES.starting);
    // The decoder (jsQR's worker) loads while the camera starts: the first frame is read at once.
    if (!this.decoderReady) {
      this.decoderReady = createDecoder();
      this.decoderReady.catch(() => {}); // handled where it is awaited; this only silences "unhandled"
    }
    try {
      session.camera = await openCamera(this.video);
    } catch (error) {
      if (session.cancelled) return;
      this.stop();
      this.showCameraProblem(error.name);
      return;
    }
    if (session.cancelled) {
      session.camera.stop();
      return;
    }
    try {
      this.decoder = await this.decoderReady;
    } catch {
      this.decoderReady = null;
      this.stop();
      this.setState("error");
      this.say("error", ...MESSAGES.reader);
      return;
    }
    if (session.cancelled) return; // left the page while jsQR was still loading
    this.root.dataset.decoder = this.decoder.kind; // which decoder runs, for remote debugging
    session.camera.track.addEventListener("ended", () => {
      if (this.session === session) {
        this.stop();
        this.showCameraProblem("ended");
      }
    });
    this.setState("scanning");
    this.setTorchAvailable(session.camera.hasTorch);
    this.say("info", ...MESSAGES.looking);
    this.scanLoop(session);
  }

  stop() {
    const session = this.session;
    this.session = null;
    if (!session) return;
    session.cancelled = true;
    if (session.camera) session.camera.stop();
  }

  stopAndReset() {
    this.stop();
    this.setState("idle");
    this.say("info", ...MESSAGES.intro);
  }

  async scanLoop(session) {
    while (!session.cancelled) {
      const began = performance.now();
      if (this.video.readyState >= this.video.HAVE_CURRENT_DATA) {
        let text;
        try {
          text = await this.decoder.decode(this.video);
        } catch {
          if (session.cancelled) return;
          this.stop();
          this.setState("error");
          this.say("error", ...MESSAGES.reader);
          return;
        }
        if (session.cancelled) return;
        if (text !== null && this.judge(text, session)) return;
      }
      await sleep(Math.max(0, SCAN_INTERVAL_MS - (performance.now() - began)));
    }
  }

  /** Open an accepted label; explain a refused one. True when the scan is over. */
  judge(text, session) {
    const result = parseScan(text, this.origins);
    if (result.ok) {
      this.open(result.token);
      return true;
    }
    // The same foreign code stays in view for many frames: say it once, not eight times a second.
    this.viewfinder.dataset.refusals = String(Number(this.viewfinder.dataset.refusals ?? 0) + 1);
    if (session.lastRefused !== text) {
      session.lastRefused = text;
      this.viewfinder.dataset.state = "refused";
      this.say("warn", MESSAGES.notLabel, refusalDetail(result), text);
    }
    return false;
  }

  open(token) {
    // Built from our own route and the checked token: never the scanned text itself.
    const target = new URL(this.plotterUrl.replace("__token__", token), location.origin);
    if (target.origin !== location.origin) return;
    this.stop();
    this.setState("found");
    this.say("ok", "Label found", `Opening plotter ${shortCode(token)}…`);
    signalSuccess();
    setTimeout(() => location.assign(target.href), OPEN_DELAY_MS);
  }

  setTorchAvailable(available) {
    this.torchButton.hidden = !available;
    this.torchButton.setAttribute("aria-pressed", "false");
  }

  async toggleTorch() {
    const camera = this.session && this.session.camera;
    if (!camera) return;
    const on = this.torchButton.getAttribute("aria-pressed") !== "true";
    try {
      await camera.setTorch(on);
      this.torchButton.setAttribute("aria-pressed", String(on));
    } catch {
      this.torchButton.hidden = true; // it said it had a torch, but it doesn't switch: hide it
    }
  }

  showCameraProblem(name) {
    const key = PROBLEM_ALIASES[name] || name;
    this.setState("error");
    this.say("error", "Camera unavailable", CAMERA_PROBLEMS[key] || CAMERA_PROBLEMS.NotReadableError);
  }

  onVisibilityChange() {
    if (document.visibilityState === "hidden") {
      this.resumeOnReturn = Boolean(this.session);
      this.stop();
      if (this.resumeOnReturn) this.setState("idle");
    } else if (this.resumeOnReturn) {
      this.resumeOnReturn = false;
      this.start({ byTap: false });
    }
  }

  /**
   * Offline, the server can't check a typed code, but the plotter page may be in the offline
   * pack: go straight to it. Online, the form submits as usual and the server has the last word.
   */
  openTypedCodeOffline(event) {
    if (navigator.onLine !== false) return;
    const token = normaliseCode(new FormData(this.form).get("code") || "");
    if (!token) return;
    event.preventDefault();
    location.assign(new URL(this.plotterUrl.replace("__token__", token), location.origin).href);
  }
}

const root = document.querySelector("[data-scanner]");
if (root) new ScannerPage(root).init();
