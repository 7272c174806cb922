// Photos from the phone are shrunk in the browser (at most 2048 px, JPEG) before they are
// kept for upload; and the CSRF token that every write to the server carries.

export const MAX_SIDE = 2048;

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

// A page served from the cache after the phone restarted carries the token of a session that
// has ended; ask for a fresh one (and keep it in the page for every later request).
export async function refreshCsrfToken() {
  const response = await fetch("/api/v1/csrf-token", { credentials: "same-origin", cache: "no-store" });
  if (!response.ok) return null;
  const { token } = await response.json();
  document.querySelector('meta[name="csrf-token"]')?.setAttribute("content", token);
  return token;
}

// fetch with the CSRF header; a refused token is refreshed once and the request sent again.
export async function fetchWithCsrf(url, options = {}) {
  const send = () => fetch(url, { credentials: "same-origin", ...options, headers: { ...options.headers, "X-CSRFToken": csrfToken() } });
  let response = await send();
  if (response.status === 400) {
    const body = await response.clone().json().catch(() => null);
    if (body?.error?.code === "csrf_failed" && (await refreshCsrfToken())) response = await send();
  }
  return response;
}
