/**
 * The outbox: every change the engineer makes is stored in IndexedDB first, with a random
 * Idempotency-Key, and sent in order when there is a network. A change survives a closed
 * app, a lost connection and a reload.
 *
 * Kinds of change:
 * - transition: POST …/transitions/<name> (a 409 whose record is already in the target
 *   state counts as done: the first send got through, its answer did not)
 * - patch: PATCH a record with If-Match of the version the engineer edited. On 409/412 the
 *   record is read again and compared per field with what the engineer saw (`base`): a
 *   field nobody else changed is sent again on the new version; a field someone else
 *   changed too becomes a conflict for the engineer to decide (mine or theirs)
 * - post: POST to a pack endpoint (parts consumed or requested)
 * - photo: upload the compressed photo in chunks (uploads.js: the entry keeps the upload
 *   id, so a cut upload goes on from the server's offset, then its file id, so it is sent
 *   once), then add it to the task's photos, re-reading the record when it moved on
 *
 * A change the server refuses (422, 403, 404) stays in the outbox as "refused" with the
 * server's explanation until the engineer retries or discards it: nothing typed is lost.
 */

import * as db from "./db.js";
import { ApiError, Offline, online, remember, send, uuid } from "./api.js";
import { upload } from "./uploads.js";

const LOCK = "plinth-m-outbox";
const RETRY_MS = 15000;
const MAX_ATTEMPTS = 8;
const listeners = new Set();
const watchers = new Set();
const results = new Map();
let user = null;
let running = null;
let halted = null;

/** Whose changes these are: only the signed-in user's are sent. */
export function setUser(id) {
  user = id;
}

/** Call `listener(event)` whenever the outbox changes; returns the unsubscribe function. */
export function subscribe(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Call `watcher(entry, bytesSent)` as a photo goes up; returns the unsubscribe function. */
export function watchUploads(watcher) {
  watchers.add(watcher);
  return () => watchers.delete(watcher);
}

function emit(type, entry = null) {
  for (const listener of listeners) {
    try {
      listener({ type, entry });
    } catch (error) {
      console.error(error);
    }
  }
}

/** Why sending stopped: null, "offline", "login" (the session ended) or "server". */
export function haltedBy() {
  return halted;
}

/** This user's changes in order (every state). */
export async function entries() {
  return (await db.all("outbox")).filter((e) => e.user === user);
}

/** Store a change to send; resolves to the stored entry (with its seq and key). */
export async function enqueue(change) {
  const entry = {
    ...change,
    key: uuid(),
    user,
    state: "queued",
    attempt: 0,
    created: new Date().toISOString(),
  };
  entry.seq = await db.put("outbox", entry);
  emit("queued", entry);
  return entry;
}

/**
 * Queue a change and send it at once when online. Resolves to {state, entry, data}:
 * "sent" (data: the server's answer), "queued" (no network: sent later) or "conflict" (a
 * field someone else changed too: the conflict screen decides). A refusal, or a step the
 * task's state no longer allows, rejects with the ApiError and drops the change: the
 * screen that made it is still open and shows why.
 */
export async function submit(change) {
  const entry = await enqueue(change);
  if (!online()) {
    return { state: "queued", entry };
  }
  await flush();
  const after = await db.get("outbox", entry.seq);
  if (!after) {
    const data = results.get(entry.seq);
    results.delete(entry.seq);
    return { state: "sent", entry, data };
  }
  if (after.state === "refused" || (after.state === "conflict" && after.kind === "transition")) {
    await db.remove("outbox", entry.seq); // refused while the engineer looks: the screen says why
    emit("removed", after);
    throw new ApiError(after.problem.status, after.problem.body);
  }
  return { state: after.state, entry: after };
}

/** Send every queued change in order (one sender at a time, across tabs). */
export function flush() {
  if (!running) {
    const work = navigator.locks ? navigator.locks.request(LOCK, sendQueued) : sendQueued();
    running = work.finally(() => {
      running = null;
    });
  }
  return running;
}

async function sendQueued() {
  halted = null;
  const tried = new Set();
  for (;;) {
    // read again each time: changes queued while sending go out in this round too
    const current = (await entries()).find((e) => e.state === "queued" && !tried.has(e.seq));
    if (!current) {
      break;
    }
    tried.add(current.seq);
    if (!online()) {
      halted = "offline";
      break;
    }
    try {
      await replay(current);
    } catch (error) {
      if (error instanceof Offline) {
        halted = "offline";
        break;
      }
      if (!(error instanceof ApiError)) {
        throw error;
      }
      if (error.status === 401) {
        halted = "login";
        break;
      }
      if (error.status >= 500 || error.status === 429 || error.status === 408 || inProgress(error)) {
        halted = "server";
        break;
      }
      await refuse(current, error);
    }
  }
  emit("flushed");
}

/**
 * A 409 "Idempotency key in use": an earlier send of this very request (its answer lost, or
 * cut while the server was still at work) was applied and its answer is not stored yet. Not
 * a refusal: the change stays queued and goes again with the same key, which then gets the
 * first answer. (Refused, the engineer's "send again" would make a new key: applied twice.)
 */
function inProgress(error) {
  return error instanceof ApiError && error.status === 409 && /\/idempotency-key-in-use$/.test(error.problem.type || "");
}

async function done(entry, data) {
  await db.remove("outbox", entry.seq);
  results.set(entry.seq, data);
  emit("sent", entry);
}

async function refuse(entry, error) {
  entry.state = "refused";
  entry.problem = { status: error.status, body: error.problem };
  await db.put("outbox", entry);
  emit("refused", entry);
}

async function conflict(entry, details) {
  Object.assign(entry, details, { state: "conflict" });
  await db.put("outbox", entry);
  emit("conflict", entry);
}

/**
 * The Idempotency-Key of a request of a change: the change's key, plus the attempt once the
 * engineer decided to send it again (a new decision is a new request, not a replay), plus
 * what part of the change it is.
 */
function keyOf(entry, part = "") {
  return [entry.key, entry.attempt || null, part || null].filter((p) => p !== null).join(":");
}

function recordUrl(entry) {
  return `/api/v1/records/${entry.object}/${entry.id}`;
}

async function fresh(entry) {
  const answer = await send("GET", recordUrl(entry));
  await remember(recordUrl(entry), answer.data);
  return answer.data;
}

function replay(entry) {
  switch (entry.kind) {
    case "transition":
      return replayTransition(entry);
    case "patch":
      return replayPatch(entry);
    case "post":
      return replayPost(entry);
    case "photo":
      return replayPhoto(entry);
    default:
      throw new ApiError(400, { detail: `unknown change ${entry.kind}` });
  }
}

async function replayTransition(entry) {
  const body = {};
  if (entry.values && Object.keys(entry.values).length) {
    body.values = entry.values;
  }
  if (entry.comment) {
    body.comment = entry.comment;
  }
  if (entry.occurred_at) {
    body.occurred_at = entry.occurred_at; // the time of the tap, not of the replay
  }
  try {
    const answer = await send("POST", `${recordUrl(entry)}/transitions/${entry.name}`, { json: body, key: keyOf(entry) });
    if (answer.data && "version" in answer.data) {
      await remember(recordUrl(entry), answer.data);
    } else {
      await db.remove("responses", recordUrl(entry)); // the step took the task away (reject)
    }
    await done(entry, answer.data);
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 409 || inProgress(error)) {
      throw error;
    }
    const current = await fresh(entry);
    if (current[entry.field] === entry.to) {
      await done(entry, current); // applied by an earlier send whose answer was lost
      return;
    }
    await conflict(entry, { theirs: { [entry.field]: current[entry.field] }, version: current.version, problem: { status: 409, body: error.problem } });
  }
}

function blank(value) {
  return value === null || value === undefined || value === "" || (Array.isArray(value) && !value.length);
}

function canonical(value) {
  if (Array.isArray(value)) {
    return value.map(canonical);
  }
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.keys(value).sort().map((k) => [k, canonical(value[k])]));
  }
  return value;
}

/** Whether two values of a field are the same (a sent signature is its sha256). */
export function same(a, b) {
  if (blank(a) && blank(b)) {
    return true;
  }
  const sha = (v) => (v && typeof v === "object" && v.sha256) || null;
  if (sha(a) || sha(b)) {
    return sha(a) === sha(b);
  }
  if (typeof a === "number" || typeof b === "number") {
    return Number(a) === Number(b);
  }
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

function wire(value) {
  if (value && typeof value === "object" && value.image && value.sha256) {
    const { sha256, ...sent } = value; // the server computes the hash itself
    return sent;
  }
  return value;
}

async function replayPatch(entry) {
  for (;;) {
    const fields = Object.fromEntries(Object.entries(entry.fields).map(([k, v]) => [k, wire(v)]));
    try {
      const answer = await send("PATCH", recordUrl(entry), {
        json: fields,
        headers: { "If-Match": `"${entry.version}"` },
        key: keyOf(entry),
      });
      await remember(recordUrl(entry), answer.data);
      await done(entry, answer.data);
      return;
    } catch (error) {
      if (!(error instanceof ApiError) || (error.status !== 412 && error.status !== 409) || inProgress(error)) {
        throw error;
      }
    }
    const current = await fresh(entry);
    const clashes = [];
    const still = {};
    for (const [name, mine] of Object.entries(entry.fields)) {
      const theirs = current[name];
      if (same(theirs, mine)) {
        continue; // already there
      }
      if (!same(theirs, entry.base[name])) {
        clashes.push({ name, mine, theirs, base: entry.base[name] });
      }
      still[name] = mine;
    }
    if (clashes.length) {
      await conflict(entry, { clashes, version: current.version });
      return;
    }
    if (!Object.keys(still).length) {
      await done(entry, current);
      return;
    }
    if (entry.attempt >= MAX_ATTEMPTS) {
      throw new ApiError(412, { detail: "the record kept changing; try again" });
    }
    Object.assign(entry, { fields: still, version: current.version, attempt: entry.attempt + 1 });
    await db.put("outbox", entry);
  }
}

async function replayPost(entry) {
  const answer = await send("POST", entry.url, { json: entry.body, key: keyOf(entry) });
  await done(entry, answer.data);
}

async function replayPhoto(entry) {
  if (!entry.file) {
    const file = await upload(entry.blob, entry.filename, {
      state: entry, // entry.upload: the upload to go on with after a cut
      save: () => db.put("outbox", entry),
      key: (part) => keyOf(entry, part),
      progress: (sent) => watchers.forEach((watcher) => watcher(entry, sent)),
    });
    entry.file = file.id;
    await db.put("outbox", entry); // a retry attaches this file instead of sending it again
  }
  for (let round = 0; round < 5; round += 1) {
    const current = await fresh(entry);
    const photos = Array.isArray(current[entry.field]) ? current[entry.field] : [];
    if (photos.includes(entry.file)) {
      await done(entry, current);
      return;
    }
    try {
      const answer = await send("PATCH", recordUrl(entry), {
        json: { [entry.field]: [...photos, entry.file] },
        headers: { "If-Match": `"${current.version}"` },
        key: keyOf(entry, `attach:${current.version}`),
      });
      await remember(recordUrl(entry), answer.data);
      await done(entry, answer.data);
      return;
    } catch (error) {
      if (!(error instanceof ApiError) || error.status !== 412) {
        throw error;
      }
    }
  }
  throw new ApiError(412, { detail: "the task kept changing; try again" });
}

/** Send a refused or conflicting change again (after the engineer's decision). */
export async function retry(seq, changes = {}) {
  const entry = await db.get("outbox", seq);
  if (!entry) {
    return;
  }
  Object.assign(entry, changes, { state: "queued", attempt: entry.attempt + 1 });
  delete entry.problem;
  delete entry.clashes;
  await db.put("outbox", entry);
  emit("queued", entry);
  if (online()) {
    await flush();
  }
}

/** Give a change up (the engineer decided so). */
export async function discard(seq) {
  const entry = await db.get("outbox", seq);
  await db.remove("outbox", seq);
  emit("removed", entry);
}

/**
 * A record as the engineer sees it: the server's copy with the queued changes on top
 * (status after queued steps, typed values, photos and parts waiting to be sent).
 */
export function overlay(record, list) {
  const shown = { ...record, _queued: 0, _photos: [], _parts: 0, _requested: 0, _problems: 0 };
  for (const entry of list) {
    if (entry.object !== "field_task" || entry.id !== record.id) {
      continue;
    }
    if (entry.state !== "queued") {
      shown._problems += 1;
      continue;
    }
    shown._queued += 1;
    if (entry.kind === "transition") {
      shown[entry.field] = entry.to;
      Object.assign(shown, entry.values || {});
    } else if (entry.kind === "patch") {
      Object.assign(shown, entry.fields);
    } else if (entry.kind === "photo") {
      shown._photos.push(entry);
    } else if (entry.kind === "post" && entry.body.kind === "consumption") {
      shown._parts += entry.body.lines.length;
    } else if (entry.kind === "post" && entry.body.kind === "requisition") {
      shown._requested += entry.body.lines.length;
    }
  }
  return shown;
}

/** Send what is waiting now and then, and soon after the network comes back. */
export function keepSending() {
  setInterval(() => {
    if (online() && user !== null && halted !== "login") {
      entries().then((list) => {
        if (list.some((e) => e.state === "queued")) {
          flush();
        }
      });
    }
  }, RETRY_MS);
}
