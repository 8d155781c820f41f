// Rolo's service worker: keeps the console readable without a connection (docs/offline.md).
// The server fills in VERSION and ASSETS (the console's hashed files) when it serves /sw.js.
//
// * The console's files (/pkg/…, named by their content) come from the cache first.
// * Pages the signed-in account opens (the list, contacts, their forms) and the answers of the
//   server functions that read them are fetched from the network first and kept; without a
//   connection the kept copy is served, or a short "offline" page.
// * Nothing else is kept: sign-in, exports, imports, the device API, CardDAV and every server
//   function that changes something always go to the network.
// * The console deletes the kept pages when the account signs out, another account signs in,
//   or offline use is turned off for this browser (then it also unregisters this worker).
"use strict";

const VERSION = "__VERSION__";
const ASSETS = __ASSETS__;
const SHELL = "rolo-shell-" + VERSION;
const PAGES = "rolo-pages";

// Server functions that only read, whose answers are kept for offline reading.
const READS = new Set([
  "whoami",
  "my_books",
  "list_groups",
  "contact_page",
  "get_contact",
  "contact_history",
]);
// The console's pages kept for offline reading.
const PAGE = /^\/(contacts\/[0-9a-fA-F-]{36}(\/edit)?|contacts\/new)?$/;

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(SHELL).then((c) => c.addAll(ASSETS)).then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      // A new build: its pages name other files, so the kept pages go with the old files.
      .then((keys) => Promise.all(keys.filter((k) => k !== SHELL).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("message", (event) => {
  if (event.data && event.data.type === "forget") {
    event.waitUntil(caches.delete(PAGES));
  }
});

function offlinePage() {
  const html =
    '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">' +
    '<meta name="viewport" content="width=device-width, initial-scale=1">' +
    "<title>Offline · Rolo</title></head><body><main>" +
    "<h1>You are offline</h1><p>This page was not opened on this browser while it was " +
    'online, so there is no copy of it here.</p><p><a href="/">Back to your contacts</a>' +
    "</p></main></body></html>";
  return new Response(html, {
    status: 503,
    headers: { "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store" },
  });
}

// A kept answer only when it is a whole, direct page or answer of this site.
function keepable(response) {
  return response.ok && response.type === "basic" && !response.redirected;
}

async function page(request) {
  const cache = await caches.open(PAGES);
  try {
    const response = await fetch(request);
    const type = response.headers.get("Content-Type") || "";
    if (keepable(response) && type.startsWith("text/html")) {
      await cache.put(request.url, response.clone());
    }
    return response;
  } catch (e) {
    const url = new URL(request.url);
    return (
      (await cache.match(request.url)) ||
      (await cache.match(url.origin + url.pathname)) ||
      offlinePage()
    );
  }
}

async function read(request, name) {
  const body = await request.clone().text();
  // Kept under a made-up GET address holding the arguments (the Cache API keeps GETs only).
  const key = new URL("/offline-rpc/" + name + "?" + body, self.location.origin).href;
  const cache = await caches.open(PAGES);
  try {
    const response = await fetch(request);
    if (keepable(response)) {
      await cache.put(key, response.clone());
    }
    return response;
  } catch (e) {
    const kept = await cache.match(key);
    if (kept) {
      return kept;
    }
    throw e;
  }
}

async function asset(request) {
  const cache = await caches.open(SHELL);
  const kept = await cache.match(request);
  if (kept) {
    return kept;
  }
  const response = await fetch(request);
  if (keepable(response)) {
    await cache.put(request, response.clone());
  }
  return response;
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) {
    return;
  }
  if (request.method === "GET" && url.pathname.startsWith("/pkg/")) {
    event.respondWith(asset(request));
  } else if (request.method === "GET" && PAGE.test(url.pathname)) {
    event.respondWith(page(request));
  } else if (request.method === "POST" && url.pathname.startsWith("/rpc/")) {
    const name = url.pathname.slice("/rpc/".length);
    if (READS.has(name)) {
      event.respondWith(read(request, name));
    }
  }
});
