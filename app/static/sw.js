// The app shell cache. `cargo xtask` stamps the version and the file list at
// build time, so each build gets its own cache and old ones are removed.
const VERSION = "__VERSION__";
const FILES = ["__FILES__"];
// The office page (`/office/`) and its files: not precached, since staff
// tablets never open it; kept once fetched, so that head office can open
// it again offline.
const LATER = ["__LATER__"];
const CACHE = `shell-${VERSION}`;

// A worker that was never stamped (read from a build in the making) would
// install an empty shell and delete the good one: it refuses to install,
// and the current worker stays.
self.addEventListener("install", (event) => {
  if (VERSION.startsWith("__")) {
    event.waitUntil(Promise.reject(new Error("an unstamped service worker")));
    return;
  }
  event.waitUntil(caches.open(CACHE).then((c) => c.addAll(FILES)).then(() => self.skipWaiting()));
});

// The caches of earlier builds go. A device that had opened the office page
// gets this build's office page and files soon after, while the network that
// brought the update is likely there: head office opens it offline
// afterwards, as it could before the update. Not while the worker
// activates: fetches wait for that, and a slow network would hold the
// reload into this build; a mark in the cache has the next fetch do it.
self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      // The office page itself: the one entry that is a directory.
      const page = LATER.find((path) => path.endsWith("/"));
      const earlier = (await caches.keys()).filter((k) => k !== CACHE);
      let hadOffice = false;
      for (const key of earlier) {
        if (page && (await (await caches.open(key)).match(page, { ignoreVary: true }))) hadOffice = true;
        await caches.delete(key);
      }
      if (hadOffice) {
        await (await caches.open(CACHE)).put(REFETCH, new Response("office"));
      }
      await self.clients.claim();
    })(),
  );
});

// A reminder tapped (`app/src/reminder.rs`): the app's window comes to the
// front and is told what to open (it checks that the same user is logged
// in), or the app opens on it (`/#reminder={user}:{open}`, which it checks
// the same way).
self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  event.waitUntil(
    self.clients.matchAll({ type: "window", includeUncontrolled: true }).then((windows) => {
      const app = windows.find((w) => new URL(w.url).pathname === "/") || windows[0];
      if (app) {
        app.postMessage({ reminder: event.notification.data });
        return app.focus();
      }
      const data = event.notification.data;
      const at = data && data.user && data.open
        ? `/#reminder=${encodeURIComponent(data.user)}:${encodeURIComponent(data.open)}`
        : "/";
      return self.clients.openWindow(at);
    }),
  );
});

// The mark that the office page is to be fetched for this build.
const REFETCH = "/__office-refetch";
let refetching = null;

// Fetches the office page and its files if the mark says so; tried again at
// a later fetch while the network is not there.
function refetchOffice() {
  if (!refetching) {
    refetching = (async () => {
      const cache = await caches.open(CACHE);
      if (!(await cache.match(REFETCH))) return;
      try {
        await cache.addAll(LATER);
        await cache.delete(REFETCH);
      } catch (err) {
        // Offline: the next fetch tries again.
      }
    })().finally(() => {
      refetching = null;
    });
  }
  return refetching;
}

// The API always goes to the network (the app keeps its own data in
// IndexedDB); the shell comes from the cache first, so the app starts with
// the server down. Navigations fall back to the cached index.html (the
// field app, when the office page was never opened).
self.addEventListener("fetch", (event) => {
  event.waitUntil(refetchOffice());
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.pathname.startsWith("/api/") || url.pathname === "/healthz") {
    return;
  }
  event.respondWith(
    caches.open(CACHE).then(async (cache) => {
      const hit = await cache.match(event.request, { ignoreSearch: true, ignoreVary: true });
      if (hit) return hit;
      try {
        const response = await fetch(event.request);
        if (response.ok && LATER.includes(url.pathname)) {
          await cache.put(event.request, response.clone());
        }
        return response;
      } catch (err) {
        if (event.request.mode === "navigate") {
          const index = await cache.match("./index.html");
          if (index) return index;
        }
        throw err;
      }
    }),
  );
});
