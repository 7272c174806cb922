/**
 * The phone's back camera as a playing <video>: start it, switch the torch, stop it.
 */

/** Whether this browser can give a page a camera at all (https or localhost, a modern browser). */
export function cameraSupported() {
  return Boolean(navigator.mediaDevices && navigator.mediaDevices.getUserMedia);
}

/** Whether the user already allowed the camera for this site, so starting needs no tap. */
export async function cameraAlreadyAllowed() {
  try {
    const status = await navigator.permissions.query({ name: "camera" });
    return status.state === "granted";
  } catch {
    return false; // Firefox and older Safari cannot be asked; wait for a tap.
  }
}

/**
 * Start the back camera in `video`. Resolves to a handle once frames are playing.
 * Rejects with the browser's DOMException (NotAllowedError, NotFoundError ...) when it can't.
 */
export async function openCamera(video) {
  const stream = await navigator.mediaDevices.getUserMedia({
    audio: false,
    // "ideal", never "exact": a laptop's only camera faces the user, and that must still work.
    video: { facingMode: { ideal: "environment" }, width: { ideal: 1280 }, height: { ideal: 720 } },
  });
  const [track] = stream.getVideoTracks();
  const stop = () => {
    stream.getTracks().forEach((t) => t.stop());
    video.srcObject = null;
  };
  try {
    video.srcObject = stream;
    await video.play();
  } catch (error) {
    stop();
    throw error;
  }
  // Some Android phones only report the torch once frames flow, so ask after play().
  const capabilities = track.getCapabilities ? track.getCapabilities() : {};
  if (Array.isArray(capabilities.focusMode) && capabilities.focusMode.includes("continuous")) {
    // A label held 15 cm away needs the lens to refocus; not every camera does it by default.
    track.applyConstraints({ advanced: [{ focusMode: "continuous" }] }).catch(() => {});
  }
  return {
    track,
    hasTorch: Boolean(capabilities.torch),
    setTorch: (on) => track.applyConstraints({ advanced: [{ torch: on }] }),
    stop,
  };
}
