/* The engineer app's service worker (scope /m/): keeps the app shell offline.
 *
 * Static files are served from the cache of this version (a hash of their contents), the
 * shell page from the network when there is one (so a login redirect and a new version
 * arrive) and from the cache otherwise. API answers are not handled here: the app keeps
 * the day's data in IndexedDB itself, per user, and queues its changes in an outbox.
 */
const VERSION = {{ version | tojson }};
const CACHE = "plinth-m-" + VERSION;
const APP = {{ app | tojson }};
const ASSETS = {{ assets | tojson }};

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    const files = ASSETS.filter((url) => url !== APP);
    await cache.addAll(files.map((url) => new Request(url, { cache: "reload" })));
    try {
      const shell = await fetch(APP, { credentials: "same-origin", cache: "reload" });
      if (shell.ok && !shell.redirected) {
        await cache.put(APP, shell);
      }
    } catch (error) {
      // offline while installing: the shell is cached on the next visit
    }
    await self.skipWaiting();
  })());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith("plinth-m-") && name !== CACHE) {
        await caches.delete(name);
      }
    }
    await self.clients.claim();
  })());
});

async function shellPage(request) {
  const cache = await caches.open(CACHE);
  try {
    const answer = await fetch(request);
    if (answer.ok && answer.type === "basic" && !answer.redirected) {
      await cache.put(APP, answer.clone());
    }
    return answer;
  } catch (error) {
    const kept = await cache.match(APP);
    return kept || Response.error();
  }
}

async function staticFile(request) {
  const cache = await caches.open(CACHE);
  const kept = await cache.match(request, { ignoreSearch: true });
  if (kept) {
    return kept;
  }
  const answer = await fetch(request);
  if (answer.ok) {
    await cache.put(request, answer.clone());
  }
  return answer;
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) {
    return;
  }
  if (request.mode === "navigate" && url.pathname === APP) {
    event.respondWith(shellPage(request));
  } else if (url.pathname.startsWith(APP + "static/")) {
    event.respondWith(staticFile(request));
  }
});
