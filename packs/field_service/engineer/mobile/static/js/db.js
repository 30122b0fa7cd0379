/**
 * The app's IndexedDB: what it keeps on the phone between visits.
 *
 * - responses: GET answers by URL (the day, tasks, stock), to open them offline
 * - outbox: changes waiting to be sent, in order (seq), each with its idempotency key
 * - drafts: what was typed but not yet sent (notes, a reason, signature strokes)
 * - pings: location points waiting to be sent (keyed by the device's sequence number)
 * - meta: small values (whose data this is)
 */

const NAME = "plinth-m";
const VERSION = 1;
const STORES = {
  responses: { keyPath: "url" },
  outbox: { keyPath: "seq", autoIncrement: true },
  drafts: { keyPath: "id" },
  pings: { keyPath: "seq" },
  meta: { keyPath: "k" },
};

let opening = null;

function open() {
  if (!opening) {
    opening = new Promise((resolve, reject) => {
      const request = indexedDB.open(NAME, VERSION);
      request.onupgradeneeded = () => {
        const database = request.result;
        for (const [name, options] of Object.entries(STORES)) {
          if (!database.objectStoreNames.contains(name)) {
            database.createObjectStore(name, options);
          }
        }
      };
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  }
  return opening;
}

async function run(store, mode, work) {
  const database = await open();
  return new Promise((resolve, reject) => {
    const transaction = database.transaction(store, mode);
    const request = work(transaction.objectStore(store));
    transaction.oncomplete = () => resolve(request ? request.result : undefined);
    transaction.onerror = () => reject(transaction.error);
    transaction.onabort = () => reject(transaction.error);
  });
}

/** One value by key (undefined when missing). */
export function get(store, key) {
  return run(store, "readonly", (s) => s.get(key));
}

/** Store a value; resolves to its key (the new seq for the outbox). */
export function put(store, value) {
  return run(store, "readwrite", (s) => s.put(value));
}

/** Delete a value by key. */
export function remove(store, key) {
  return run(store, "readwrite", (s) => s.delete(key));
}

/** Every value of a store, in key order. */
export function all(store) {
  return run(store, "readonly", (s) => s.getAll());
}

/** Empty a store. */
export function clear(store) {
  return run(store, "readwrite", (s) => s.clear());
}

/** A small remembered value. */
export async function meta(key) {
  const row = await get("meta", key);
  return row ? row.v : undefined;
}

/** Remember a small value. */
export function setMeta(key, value) {
  return put("meta", { k: key, v: value });
}
