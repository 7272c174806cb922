/*
 * Decodes QR codes with jsQR off the main thread, so the viewfinder stays smooth on slow phones
 * (one decode can take 40-150 ms). A classic worker: importScripts works everywhere.
 */
importScripts("../../vendor/jsqr/jsQR.js");

self.addEventListener("message", (event) => {
  const { id, width, height, pixels } = event.data;
  const started = performance.now();
  // Labels are printed black on white, so skip jsQR's inverted pass: it would double the cost.
  const found = self.jsQR(new Uint8ClampedArray(pixels), width, height, {
    inversionAttempts: "dontInvert",
  });
  self.postMessage({ id, text: found ? found.data : null, ms: performance.now() - started });
});
