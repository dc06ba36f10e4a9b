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

const currentToken = () => sessionStorage.getItem(TOKEN_KEY);

export const hasToken = () => currentToken() !== null;

/** The token to send now (null: none) and `headers` with it, so a 401 can tell what the refused request carried. */
export function authorize(headers) {
  const token = currentToken();
  return { token, headers: token === null ? headers : { ...headers, Authorization: 'Bearer ' + token } };
}

export function setToken(token) {
  if (token) sessionStorage.setItem(TOKEN_KEY, token); else sessionStorage.removeItem(TOKEN_KEY);
  window.dispatchEvent(new CustomEvent('tierlog:token-changed'));
}

/**
 * Turns a failed response into an ApiError in the API's shape ({"error", "message"}). A 401 to a request that
 * carried the current token (or none, and there is none) tells the page to ask for one (main.js); a refused token
 * is forgotten first, so it is not sent again. A 401 to a request sent before the token changed asks nothing:
 * the pages start again with the new token.
 */
export async function failure(res, sentToken) {
  const text = await res.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch { /* not JSON: the text itself is the message */ }
  if (res.status === 401 && sentToken === currentToken()) {
    const refused = sentToken !== null;
    if (refused) setToken(null);
    window.dispatchEvent(new CustomEvent('tierlog:auth-required', { detail: { refused } }));
  }
  return new ApiError(res.status, json && json.error, (json && json.message) || text.slice(0, 200));
}

/** JSON request; resolves to the parsed body (null for 204), rejects with ApiError. */
export async function api(path, { method = 'GET', body, signal } = {}) {
  const { token, headers } = authorize(body === undefined ? { Accept: 'application/json' }
    : { Accept: 'application/json', 'Content-Type': 'application/json' });
  const res = await fetch(path, { method, headers, signal, body: body === undefined ? undefined : JSON.stringify(body) });
  if (!res.ok) throw await failure(res, token);
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
