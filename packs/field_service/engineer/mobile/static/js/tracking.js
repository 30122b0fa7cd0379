/**
 * Location pings while the app is open and a task is en route.
 *
 * Points from navigator.geolocation.watchPosition (at most one every 15 s unless the phone
 * moved 30 m) are stored in IndexedDB with this device's id (kept in localStorage) and an
 * increasing sequence number, and sent in batches to POST /api/v1/fs/locations, which
 * stores each (device, seq) once: a batch sent twice is harmless. While en route the app
 * asks for a screen Wake Lock so the phone does not sleep (and stop the pings) on the way.
 * Every workflow step also stamps one point, so the track shows where each step happened.
 */

import * as db from "./db.js";
import { ApiError, Offline, online, send, uuid } from "./api.js";
import { distanceM, fromPosition } from "./geo.js";

const DEVICE_KEY = "plinth-m-device";
const SEQ_KEY = "plinth-m-seq";
const BATCH = 20;
const MAX_BATCH = 500;
const SEND_EVERY_MS = 60000;
const MIN_GAP_MS = 15000;
const MIN_MOVE_M = 30;

let watcher = null;
let timer = null;
let wakeLock = null;
let last = null; // the last point stored
let newest = null; // the last position the watch reported
let sending = null;

/** This device's id, made once and kept. */
export function deviceId() {
  let id = localStorage.getItem(DEVICE_KEY);
  if (!id) {
    id = `web-${uuid()}`;
    localStorage.setItem(DEVICE_KEY, id);
  }
  return id;
}

function nextSeq() {
  const seq = Number(localStorage.getItem(SEQ_KEY) || "0") + 1;
  localStorage.setItem(SEQ_KEY, String(seq));
  return seq;
}

/** Store one fix as a point to send (and send when a batch is full). */
export async function addPoint(fix) {
  const point = { seq: nextSeq(), at: fix.at, lat: fix.lat, lng: fix.lng, accuracy: fix.accuracy };
  if (fix.speed != null) {
    point.speed = fix.speed;
  }
  await db.put("pings", point);
  last = { ...fix, ms: Date.now() };
  const waiting = await db.all("pings");
  if (waiting.length >= BATCH) {
    sendPoints();
  }
}

async function sendAll() {
  while (online()) {
    const points = (await db.all("pings")).slice(0, MAX_BATCH);
    if (!points.length) {
      return;
    }
    const device = deviceId();
    try {
      await send("POST", "/api/v1/fs/locations", {
        json: { device_id: device, points },
        key: `pings:${device}:${points[0].seq}-${points[points.length - 1].seq}`,
      });
    } catch (error) {
      if (error instanceof Offline || !(error instanceof ApiError) || error.status >= 500 || error.status === 401) {
        return;
      }
      console.warn("location points refused", error.problem);
    }
    for (const point of points) {
      await db.remove("pings", point.seq);
    }
  }
}

/** Send the stored points in batches; a refused batch is dropped (a bad point stays bad). */
export function sendPoints() {
  if (!sending) {
    sending = sendAll().finally(() => {
      sending = null;
    });
  }
  return sending;
}

/** The newest position the watch reported, when at most `maxAgeMs` old (else null). */
export function latest(maxAgeMs) {
  return newest && Date.now() - Date.parse(newest.at) <= maxAgeMs ? newest : null;
}

function onPosition(position) {
  const fix = fromPosition(position);
  newest = fix;
  const moved = last ? distanceM(last, fix) : Infinity;
  if (last && Date.now() - last.ms < MIN_GAP_MS && moved < MIN_MOVE_M) {
    return;
  }
  addPoint(fix);
}

async function keepAwake() {
  if (!("wakeLock" in navigator) || document.visibilityState !== "visible" || wakeLock) {
    return;
  }
  try {
    wakeLock = await navigator.wakeLock.request("screen");
    wakeLock.addEventListener("release", () => {
      wakeLock = null;
    });
  } catch (error) {
    wakeLock = null; // refused (battery saver, not visible): pings still go while open
  }
}

/** Follow the phone (pings and Wake Lock) while `enRoute`, stop otherwise. */
export function follow(enRoute) {
  if (enRoute && watcher === null && navigator.geolocation) {
    watcher = navigator.geolocation.watchPosition(onPosition, () => {}, {
      enableHighAccuracy: true,
      maximumAge: 10000,
    });
    timer = setInterval(sendPoints, SEND_EVERY_MS);
    keepAwake();
  } else if (!enRoute && watcher !== null) {
    navigator.geolocation.clearWatch(watcher);
    clearInterval(timer);
    watcher = null;
    timer = null;
    if (wakeLock) {
      wakeLock.release();
      wakeLock = null;
    }
    sendPoints();
  }
}

/** Whether the app is following the phone now, and whether the screen is kept awake. */
export function status() {
  return { following: watcher !== null, awake: wakeLock !== null };
}

document.addEventListener("visibilitychange", () => {
  if (watcher !== null && document.visibilityState === "visible") {
    keepAwake();
  }
});
