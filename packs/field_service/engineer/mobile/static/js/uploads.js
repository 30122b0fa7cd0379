/**
 * Resumable uploads (POST /api/v1/uploads, then PATCH each chunk, GET to ask how far it
 * got): a file goes up in chunks of 64 KB, each at the offset the server has. A cut
 * connection costs one chunk: the upload asks the server for its offset and goes on from
 * there, at once when the network comes back within seconds, else on the outbox's next
 * round (the caller keeps the upload id in `state`). An upload the server no longer has
 * (expired, or discarded because its bytes failed a check) starts again.
 */

import { ApiError, Offline, send } from "./api.js";

export const CHUNK_BYTES = 64 * 1024;
const RESUME_AFTER_MS = [500, 1500, 4000];
const MAX_RESTARTS = 3;

function url(id) {
  return `/api/v1/uploads/${encodeURIComponent(id)}`;
}

function pause(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The hex sha256 of a blob (undefined where the page has no SubtleCrypto: plain HTTP). */
async function sha256(blob) {
  if (!(window.crypto && crypto.subtle)) {
    return undefined;
  }
  const digest = await crypto.subtle.digest("SHA-256", await blob.arrayBuffer());
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** The server's view of an upload ({offset, file, …}), or null when it has none. */
async function where(id) {
  try {
    return (await send("GET", url(id))).data;
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) {
      return null;
    }
    throw error;
  }
}

/**
 * Send `blob` as `filename`; resolves to the file the server made ({id, url, sha256, …}).
 * `state.upload` keeps the upload id between calls and `save()` stores `state`; `key(part)`
 * is the Idempotency-Key of each request; `progress(offset, size)` follows the bytes.
 */
export async function upload(blob, filename, { state, save, key, progress = () => {} }) {
  for (let round = 0; round <= MAX_RESTARTS; round += 1) {
    let offset = null;
    if (state.upload) {
      const known = await where(state.upload);
      if (known && known.file) {
        return known.file;
      }
      offset = known ? known.offset : null;
    }
    if (offset === null) {
      state.restarts = (state.restarts || 0) + (state.upload ? 1 : 0);
      const { data } = await send("POST", "/api/v1/uploads", {
        json: { filename, content_type: blob.type || "application/octet-stream", size: blob.size, sha256: await sha256(blob) },
        key: key(`upload:${state.restarts}`),
      });
      state.upload = data.id;
      offset = data.offset;
      await save();
    }
    const file = await sendFrom(blob, state.upload, offset, key, progress);
    if (file) {
      return file;
    }
  }
  throw new ApiError(410, { detail: "the upload kept being lost; try again" });
}

/** Chunks from `offset` on; the file at the end, null when the server lost the upload. */
async function sendFrom(blob, id, start, key, progress) {
  let offset = start;
  let cuts = 0;
  while (offset < blob.size) {
    progress(offset, blob.size);
    try {
      const { data } = await send("PATCH", url(id), {
        form: blob.slice(offset, offset + CHUNK_BYTES),
        headers: { "Content-Type": "application/offset+octet-stream", "Upload-Offset": String(offset) },
        key: key(`chunk:${id}:${offset}`),
      });
      if (data.file) {
        progress(blob.size, blob.size);
        return data.file;
      }
      offset = data.offset;
      cuts = 0;
      continue;
    } catch (error) {
      if (error instanceof ApiError && error.status === 409 && Number.isInteger(error.problem.offset)) {
        offset = error.problem.offset; // an answer was lost: the server says where it is
        continue;
      }
      if (error instanceof ApiError && error.status === 404) {
        return null;
      }
      if (!(error instanceof Offline) || cuts >= RESUME_AFTER_MS.length) {
        throw error;
      }
      await pause(RESUME_AFTER_MS[cuts]);
      cuts += 1;
    }
    const known = await where(id); // cut off: did the chunk arrive? (Offline: later)
    if (!known || known.file) {
      return known && known.file;
    }
    offset = known.offset;
  }
  const known = await where(id);
  return known && known.file;
}
