/**
 * The JSON API as the browser session: the session cookie, plus the CSRF header on unsafe
 * requests (the token comes from GET /api/v1/auth/csrf). Problems (RFC 9457) become
 * ApiError with the server's `detail` and `errors` as returned; no network becomes
 * Offline. `load` keeps GET answers in IndexedDB and answers from there when offline.
 */

import * as db from "./db.js";

const CSRF_HEADER = "X-CSRF-Token";
// A read that takes longer is answered from the phone (a weak signal is no signal).
const READ_TIMEOUT_MS = 10000;

/** The server refused: `status`, and the problem document it sent. */
export class ApiError extends Error {
  constructor(status, problem) {
    super((problem && (problem.detail || problem.title)) || `HTTP ${status}`);
    this.status = status;
    this.problem = problem || {};
  }

  get errors() {
    return this.problem.errors || {};
  }
}

/** The request could not reach the server. */
export class Offline extends Error {}

let csrf = null;

/** Whether the browser thinks it is online (a request may still fail). */
export function online() {
  return navigator.onLine !== false;
}

/** A random UUID (also on plain-HTTP LAN addresses, where crypto.randomUUID is missing). */
export function uuid() {
  if (crypto.randomUUID) {
    return crypto.randomUUID();
  }
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

async function problemOf(response) {
  let body = {};
  try {
    body = await response.json();
  } catch (error) {
    body = { title: response.statusText };
  }
  return new ApiError(response.status, body);
}

async function csrfToken(renew) {
  if (!csrf || renew) {
    const answer = await send("GET", "/api/v1/auth/csrf");
    csrf = answer.data.csrf_token;
  }
  return csrf;
}

/**
 * One request. `json` is sent as JSON, `form` (FormData) as multipart; `key` becomes the
 * Idempotency-Key header. Resolves to {status, data, etag}; rejects with ApiError or Offline.
 */
export async function send(method, url, { json, form, headers = {}, key } = {}) {
  if (!online()) {
    throw new Offline();
  }
  const unsafe = method !== "GET" && method !== "HEAD";
  const sent = { Accept: "application/json", ...headers };
  if (json !== undefined) {
    sent["Content-Type"] = "application/json";
  }
  if (key) {
    sent["Idempotency-Key"] = key;
  }
  for (let attempt = 0; attempt < 2; attempt += 1) {
    if (unsafe) {
      sent[CSRF_HEADER] = await csrfToken(attempt > 0);
    }
    let response;
    const abort = new AbortController();
    const timer = unsafe ? null : setTimeout(() => abort.abort(), READ_TIMEOUT_MS);
    try {
      response = await fetch(url, {
        method,
        headers: sent,
        body: json !== undefined ? JSON.stringify(json) : form,
        credentials: "same-origin",
        cache: "no-store",
        signal: abort.signal,
      });
    } catch (error) {
      throw new Offline(String(error)); // no network, or too slow a one to wait for
    } finally {
      clearTimeout(timer);
    }
    if (!response.ok) {
      const problem = await problemOf(response);
      if (unsafe && attempt === 0 && response.status === 403 && problem.message.includes(CSRF_HEADER)) {
        continue; // the session's token changed (a new login): fetch it again
      }
      throw problem;
    }
    const data = response.status === 204 ? null : await response.json();
    return { status: response.status, data, etag: response.headers.get("ETag") };
  }
  throw new ApiError(403, { detail: `missing or wrong ${CSRF_HEADER} header` });
}

/** Keep a GET answer for offline use. */
export function remember(url, data) {
  return db.put("responses", { url, data, at: Date.now() });
}

/** Forget kept GET answers older than `days` (the phone keeps what the work needs). */
export async function forgetOlderThan(days) {
  const limit = Date.now() - days * 86400000;
  for (const hit of await db.all("responses")) {
    if (hit.at < limit) {
      await db.remove("responses", hit.url);
    }
  }
}

/** A kept GET answer, or undefined. */
export async function kept(url) {
  const hit = await db.get("responses", url);
  return hit ? hit.data : undefined;
}

/**
 * GET with an offline copy: {data, cachedAt} where cachedAt is null for a fresh answer and
 * the time the copy was made otherwise. Offline (or a server error) with no copy rejects.
 */
export async function load(url) {
  try {
    const answer = await send("GET", url);
    await remember(url, answer.data);
    return { data: answer.data, cachedAt: null };
  } catch (error) {
    const fallback = error instanceof Offline || (error instanceof ApiError && error.status >= 500);
    if (fallback) {
      const hit = await db.get("responses", url);
      if (hit) {
        return { data: hit.data, cachedAt: new Date(hit.at) };
      }
    }
    throw error;
  }
}

/** GET every record of `object` with one of `ids` (kept offline), as a Map by id. */
export async function byIds(object, ids) {
  const wanted = [...new Set(ids.filter((id) => Number.isInteger(id)))].sort((a, b) => a - b);
  const found = new Map();
  for (let i = 0; i < wanted.length; i += 200) {
    const chunk = wanted.slice(i, i + 200);
    const { data } = await load(`/api/v1/records/${object}?id__in=${chunk.join(",")}&limit=${chunk.length}`);
    for (const record of data.data) {
      found.set(record.id, record);
    }
  }
  return found;
}
