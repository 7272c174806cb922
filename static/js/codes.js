/**
 * What a scanned or typed text means to FieldApp: a label token, or a reason to refuse it.
 *
 * Pure functions, no DOM: the scanner page uses them, and the browser tests import them directly.
 * The rules for typed codes mirror fieldapp/equipment/tokens.py `normalise_code`; keep the two
 * in step.
 */

// No 0/O, 1/I/L: a tech reading a scuffed label in a dim room must not confuse them.
export const ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ";
export const TOKEN_LENGTH = 8;
export const SHORT_CODE_PREFIX = "PM";

const TOKEN = new RegExp(`^[${ALPHABET}]{${TOKEN_LENGTH}}$`);
const HAS_SCHEME = /^[a-z][a-z0-9+.-]*:/i;
// scheme://authority then the raw path, judged before any URL parser can resolve "..", "%2e"
// or "\" into something else. "@" is not allowed in the authority: no userinfo tricks.
const WEB_URL = /^(https?:\/\/[^/?#\\@\s]+)(\/[^\s]*)$/i;
const LABEL_PATH = /^\/e\/([^/?#]+)\/?$/;

/** A typed short code or token in any case, dashes optional, as the stored token; else null. */
export function normaliseCode(text) {
  let cleaned = String(text).toUpperCase().replace(/[^0-9A-Z]/g, "");
  if (
    cleaned.length === TOKEN_LENGTH + SHORT_CODE_PREFIX.length &&
    cleaned.startsWith(SHORT_CODE_PREFIX)
  ) {
    cleaned = cleaned.slice(SHORT_CODE_PREFIX.length);
  }
  return TOKEN.test(cleaned) ? cleaned : null;
}

/** The origin of a URL-ish string ("https://a.example/x" -> "https://a.example"), or null. */
export function originOf(url) {
  try {
    return new URL(url).origin;
  } catch {
    return null;
  }
}

/**
 * Judge a QR code's text.
 *
 * Accepts this app's label URL (`<origin>/e/<token>`, trailing slash optional) when its origin is
 * one of `allowedOrigins`, and a short code or bare token as typed under the label. Anything else
 * is refused with a reason; the caller never follows the text itself, it opens /e/<token>.
 *
 * @param {string} text what the QR code contains
 * @param {string[]} allowedOrigins e.g. [PUBLIC_URL's origin, location.origin]
 * @returns {{ok: true, token: string} | {ok: false, reason: string, host?: string}}
 */
export function parseScan(text, allowedOrigins) {
  const value = String(text ?? "").trim();
  if (!value) return { ok: false, reason: "empty" };
  if (!HAS_SCHEME.test(value)) {
    const token = normaliseCode(value);
    return token ? { ok: true, token } : { ok: false, reason: "not-a-code" };
  }
  const parts = WEB_URL.exec(value);
  if (!parts) return { ok: false, reason: "not-a-web-link" };
  const origin = originOf(parts[1]);
  if (!origin) return { ok: false, reason: "not-a-web-link" };
  if (!allowedOrigins.map(originOf).includes(origin)) {
    return { ok: false, reason: "other-site", host: new URL(origin).host };
  }
  const path = LABEL_PATH.exec(parts[2]);
  const token = path && path[1].toUpperCase();
  if (!token || !TOKEN.test(token)) return { ok: false, reason: "not-a-label" };
  return { ok: true, token };
}

/** The short code printed under a label's QR, e.g. PM-7K3Q-9XA4. */
export function shortCode(token) {
  return `${SHORT_CODE_PREFIX}-${token.slice(0, 4)}-${token.slice(4)}`;
}
