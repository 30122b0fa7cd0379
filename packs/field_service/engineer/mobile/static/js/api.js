/**
 * The JSON API as the browser session: the session cookie, plus the CSRF header on unsafe
 * requests (the token comes from GET /api/v1/auth/csrf). Problems (RFC 9457) become
 * ApiError with the server's `detail` and `errors` as returned; no network becomes
 * Offline. `load` keeps GET answers in IndexedDB and answers from there when offline;
 * `quickly` shows a screen from those copies when the network is slow, and refreshes it.
 */

import * as db from "./db.js";
import { lang } from "./i18n.js";

const CSRF_HEADER = "X-CSRF-Token";
// A read that takes longer is answered from the phone (a weak signal is no signal).
const READ_TIMEOUT_MS = 10000;
// How long opening a screen waits for the network before it shows the copy on the phone
// (and goes on waiting for the network in the background).
export const FRESH_WAIT_MS = 200;
// The app's version (a hash of its files): kept answers say which version kept them.
const VERSION = document.body.dataset.version || "";
const DAY_URL = "/api/v1/fs/my/tasks?";
const TASK_URL = /^\/api\/v1\/records\/field_task\/(\d+)$/;
const LATE = Symbol("late");

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
let failures = 0; // requests that could not reach the server, so far

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
  // the server's messages in the app's language, whatever the phone's own language is
  const sent = { Accept: "application/json", "Accept-Language": lang, ...headers };
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
      failures += 1;
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

/**
 * Keep a GET answer for offline use. A task that changed (a step, an edit) is changed in the
 * days kept on the phone too, so a day shown from the phone does not show it as it was.
 */
export async function remember(url, data) {
  const task = TASK_URL.exec(url);
  if (task && data && data.version !== undefined) {
    const before = await db.get("responses", url);
    if (!before || !before.data || before.data.version !== data.version) {
      await changeKeptDays(Number(task[1]), data);
    }
  }
  return db.put("responses", { url, data, at: Date.now(), v: VERSION });
}

async function changeKeptDays(id, record) {
  const days = (await db.all("responses")).filter((hit) => hit.url.startsWith(DAY_URL)).map((hit) => hit.url);
  for (const url of days) {
    const hit = await db.get("responses", url); // as it is now (a fresh day may just have come)
    const task = hit && hit.data && Array.isArray(hit.data.data) ? hit.data.data.find((each) => each.id === id) : null;
    if (task) {
      for (const key of Object.keys(task)) {
        if (key in record) {
          task[key] = record[key]; // its own fields; the day's (order, travel, SLA) stay
        }
      }
      await db.put("responses", hit);
    }
  }
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

/**
 * The copy kept on the phone, as `load` answers it ({data, cachedAt}), without asking the
 * network; rejects with Offline when there is none. `sameVersion`: only a copy this version
 * of the app kept (for answers whose shape the app's code relies on).
 */
export async function loadKept(url, sameVersion = false) {
  const hit = await db.get("responses", url);
  if (!hit || (sameVersion && hit.v !== VERSION)) {
    throw new Offline(`nothing kept for ${url}`);
  }
  return { data: hit.data, cachedAt: new Date(hit.at) };
}

/**
 * Stale-while-revalidate for opening a screen. `read(get)` gathers what the screen shows
 * with `get` (`load`, or `loadKept` for the copies on the phone). The network gets
 * FRESH_WAIT_MS: when it answers (or fails, and `load` falls back to the copies) in that
 * time, that is shown: {now, later: null}. Otherwise the copies are shown at once, {now:
 * copies (with cachedAt), later: a promise of the network's answer}, and the screen draws
 * itself again when it comes. With no copy on the phone, or when a request has failed
 * meanwhile (no network: the copies are the answer), the network's read is awaited.
 */
export async function quickly(read, wait = FRESH_WAIT_MS) {
  const failed = failures;
  const network = read(load);
  if (!online()) {
    return { now: await network, later: null };
  }
  let timer = null;
  const late = new Promise((resolve) => {
    timer = setTimeout(resolve, wait, LATE);
  });
  const first = await Promise.race([network.then(() => null, () => null), late]);
  clearTimeout(timer);
  if (first !== LATE || failures > failed) {
    // answered in time; or the network is gone (a request failed), and `load` answers
    // each read from the phone as soon as it is tried: shown as offline
    return { now: await network, later: null };
  }
  let copies = null;
  try {
    copies = await read(loadKept);
  } catch (error) {
    copies = null; // not all of it is on the phone
  }
  return copies ? { now: copies, later: network } : { now: await network, later: null };
}

/** GET every record of `object` with one of `ids` (kept offline), as a Map by id; `get` is
 * `load` or `loadKept`. */
export async function byIds(object, ids, get = load) {
  const wanted = [...new Set(ids.filter((id) => Number.isInteger(id)))].sort((a, b) => a - b);
  const found = new Map();
  for (let i = 0; i < wanted.length; i += 200) {
    const chunk = wanted.slice(i, i + 200);
    const { data } = await get(`/api/v1/records/${object}?id__in=${chunk.join(",")}&limit=${chunk.length}`);
    for (const record of data.data) {
      found.set(record.id, record);
    }
  }
  return found;
}
