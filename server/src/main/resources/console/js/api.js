// The one place that talks to the server. Authentication: when the server answers 401 (a token missing or
// refused), the console asks the user for a token, keeps it in sessionStorage for this tab only (never in the
// URL, never in localStorage) and sends it as "Authorization: Bearer ..." on every request, the live tail's
// stream included (sse.js). A server without authentication never answers 401, so nothing is ever asked.

const TOKEN_KEY = 'tierlog.token';

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message || code || ('HTTP ' + status));
    this.status = status;
    this.code = code;
  }
}

export function authHeaders() {
  const token = sessionStorage.getItem(TOKEN_KEY);
  return token ? { Authorization: 'Bearer ' + token } : {};
}

export const hasToken = () => sessionStorage.getItem(TOKEN_KEY) !== null;

export function setToken(token) {
  if (token) sessionStorage.setItem(TOKEN_KEY, token); else sessionStorage.removeItem(TOKEN_KEY);
  window.dispatchEvent(new CustomEvent('tierlog:token-changed'));
}

/**
 * Turns a failed response into an ApiError in the API's shape ({"error", "message"}). A 401 tells the page to ask
 * for a token (main.js); a token the server refused is forgotten first, so it is not sent again.
 */
export async function failure(res) {
  const text = await res.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch { /* not JSON: the text itself is the message */ }
  if (res.status === 401) {
    const refused = hasToken();
    if (refused) setToken(null);
    window.dispatchEvent(new CustomEvent('tierlog:auth-required', { detail: { refused } }));
  }
  return new ApiError(res.status, json && json.error, (json && json.message) || text.slice(0, 200));
}

/** JSON request; resolves to the parsed body (null for 204), rejects with ApiError. */
export async function api(path, { method = 'GET', body, signal } = {}) {
  const headers = { Accept: 'application/json', ...authHeaders() };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(path, { method, headers, signal, body: body === undefined ? undefined : JSON.stringify(body) });
  if (!res.ok) throw await failure(res);
  if (res.status === 204) return null;
  const text = await res.text();
  return text ? JSON.parse(text) : null;
}

/** Builds a query string from an object; arrays repeat the key, null/undefined/'' are left out. */
export function qs(params) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (Array.isArray(v)) v.forEach((x) => p.append(k, x));
    else if (v !== null && v !== undefined && v !== '') p.append(k, String(v));
  }
  const s = p.toString();
  return s ? '?' + s : '';
}

export const enc = encodeURIComponent;
