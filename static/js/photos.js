// Photos from the phone: shrink in the browser (at most 2048 px, JPEG) before they leave it,
// then upload under an id made here, so a retry never stores the same photo twice.

export const MAX_SIDE = 2048;

export function newId() {
  return crypto.randomUUID();
}

export async function downscale(file, maxSide = MAX_SIDE) {
  const bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
  const scale = Math.min(1, maxSide / Math.max(bitmap.width, bitmap.height));
  const canvas = document.createElement("canvas");
  canvas.width = Math.round(bitmap.width * scale);
  canvas.height = Math.round(bitmap.height * scale);
  canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  bitmap.close();
  return new Promise((resolve, reject) =>
    canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error("encode failed"))), "image/jpeg", 0.85),
  );
}

export function csrfToken() {
  return document.querySelector('meta[name="csrf-token"]')?.content ?? "";
}

export async function uploadPhoto(id, blob, kind = "photo") {
  const response = await fetch(`/api/v1/photos/${id}?kind=${kind}`, {
    method: "PUT",
    credentials: "same-origin",
    headers: { "Content-Type": blob.type || "application/octet-stream", "X-CSRFToken": csrfToken() },
    body: blob,
  });
  if (!response.ok) {
    let message = `Upload failed (${response.status})`;
    try {
      message = (await response.json()).error.message;
    } catch {
      /* not JSON: keep the status */
    }
    const error = new Error(message);
    error.status = response.status;
    throw error;
  }
  return response.json();
}
