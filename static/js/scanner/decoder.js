/**
 * Finds a QR code in the current video frame. The browser's own BarcodeDetector is the fast
 * path where it exists (Chrome on Android); everywhere else (iOS Safari, Firefox, desktop Linux)
 * the vendored jsQR runs in a worker on a downscaled copy of the frame.
 *
 * A decoder is {kind, decode(video) -> Promise<string | null>, close()}.
 */

// jsQR's cost grows with pixels; 640 px wide still resolves a label held at arm's length.
const MAX_WIDTH = 640;

/** The best decoder this browser has. */
export async function createDecoder() {
  const detector = await nativeDetector();
  return detector ? nativeDecoder(detector) : jsqrDecoder();
}

async function nativeDetector() {
  if (!("BarcodeDetector" in window)) return null;
  try {
    const formats = await window.BarcodeDetector.getSupportedFormats();
    return formats.includes("qr_code") ? new window.BarcodeDetector({ formats: ["qr_code"] }) : null;
  } catch {
    return null;
  }
}

function nativeDecoder(detector) {
  let fallback = null;
  return {
    get kind() {
      return fallback ? fallback.kind : "native";
    },
    async decode(video) {
      if (fallback) return fallback.decode(video);
      try {
        const codes = await detector.detect(video);
        return codes.length ? codes[0].rawValue : null;
      } catch {
        // Some Android builds list qr_code yet throw on detect(): use jsQR from now on.
        fallback = jsqrDecoder();
        return null;
      }
    },
    close() {
      if (fallback) fallback.close();
    },
  };
}

function jsqrDecoder() {
  const worker = new Worker(new URL("./decode-worker.js", import.meta.url));
  const canvas = document.createElement("canvas");
  const context = canvas.getContext("2d", { willReadFrequently: true });
  const waiting = new Map();
  let nextId = 0;
  let broken = null;

  worker.addEventListener("message", (event) => {
    const pending = waiting.get(event.data.id);
    waiting.delete(event.data.id);
    if (pending) pending.resolve(event.data.text);
  });
  worker.addEventListener("error", () => {
    broken = new Error("The QR reader could not start.");
    waiting.forEach((pending) => pending.reject(broken));
    waiting.clear();
  });

  return {
    kind: "jsqr",
    decode(video) {
      if (broken) return Promise.reject(broken);
      const scale = Math.min(1, MAX_WIDTH / video.videoWidth);
      const width = Math.round(video.videoWidth * scale);
      const height = Math.round(video.videoHeight * scale);
      if (!width || !height) return Promise.resolve(null);
      if (canvas.width !== width || canvas.height !== height) {
        canvas.width = width;
        canvas.height = height;
      }
      context.drawImage(video, 0, 0, width, height);
      const { data } = context.getImageData(0, 0, width, height);
      const id = ++nextId;
      return new Promise((resolve, reject) => {
        waiting.set(id, { resolve, reject });
        // Transfer, not copy: a 640x480 frame is 1.2 MB, eight times a second.
        worker.postMessage({ id, width, height, pixels: data.buffer }, [data.buffer]);
      });
    },
    close() {
      worker.terminate();
      waiting.forEach((pending) => pending.resolve(null));
      waiting.clear();
    },
  };
}
