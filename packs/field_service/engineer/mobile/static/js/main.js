/**
 * The engineer app: starts up, routes between screens (#/day, #/task/42, …), shows whether
 * changes are waiting to be sent, and follows the phone while a task is en route.
 *
 * Start-up data (GET /api/v1/fs/my/app) is kept offline like every GET, so the app opens
 * without a network once it has been opened with one.
 */

import * as db from "./db.js";
import * as outbox from "./outbox.js";
import * as tracking from "./tracking.js";
import { ApiError, Offline, forgetOlderThan, kept, online } from "./api.js";
import { appStart } from "./data.js";
import { setZone, t, today } from "./i18n.js";
import { h, note, problemView, screen, titled } from "./ui.js";
import * as conflict from "./screens/conflict.js";
import * as day from "./screens/day.js";
import * as more from "./screens/more.js";
import * as notes from "./screens/notes.js";
import * as parts from "./screens/parts.js";
import * as photos from "./screens/photos.js";
import * as pool from "./screens/pool.js";
import * as requisition from "./screens/requisition.js";
import * as signature from "./screens/signature.js";
import * as stock from "./screens/stock.js";
import * as task from "./screens/task.js";
import * as week from "./screens/week.js";

const LOGIN = "/app/login?next=/m/";
const KEEP_DAYS = 14;
const ONLINE_SETTLE_MS = 300;
const POINTS_EVERY_MS = 60000;
const SCREENS = { conflict, day, more, notes, parts, photos, pool, requisition, signature, stock, task, week };
const ROUTES = [
  [/^#?\/?(?:day)?$/, () => ["day", {}]],
  [/^#\/day\/(\d{4}-\d{2}-\d{2})$/, (m) => ["day", { date: m[1] }]],
  [/^#\/overdue$/, () => ["day", { tab: "overdue" }]],
  [/^#\/task\/(\d+)$/, (m) => ["task", { id: Number(m[1]) }]],
  [/^#\/task\/(\d+)\/(parts|requisition|signature|photos|notes)$/, (m) => [m[2], { id: Number(m[1]) }]],
  [/^#\/(pool|stock|week|more)$/, (m) => [m[1], {}]],
  [/^#\/sync$/, () => ["conflict", {}]],
];
const TABS = [
  ["day", "#/day", "tab_day", "M4 6h16M4 12h16M4 18h10"],
  ["week", "#/week", "tab_week", "M4 5h16v15H4zM4 9h16M9 5v15M14 5v15"],
  ["pool", "#/pool", "tab_pool", "M12 3l8 4v6c0 4-3.5 7-8 8-4.5-1-8-4-8-8V7z"],
  ["stock", "#/stock", "tab_stock", "M3 7l9-4 9 4-9 4zM3 7v10l9 4 9-4V7M12 11v10"],
  ["more", "#/more", "tab_more", "M5 12h.01M12 12h.01M19 12h.01"],
];

const main = document.getElementById("m-main");
const app = {
  user: Number(document.body.dataset.user),
  config: null,
  refresh: () => show(true),
};
let current = { token: 0, name: null, cleanup: null };

function route(hash) {
  for (const [pattern, make] of ROUTES) {
    const match = pattern.exec(hash || "");
    if (match) {
      return make(match);
    }
  }
  return ["day", {}];
}

function icon(path) {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("aria-hidden", "true");
  const line = document.createElementNS(ns, "path");
  line.setAttribute("d", path);
  svg.append(line);
  return svg;
}

function drawTabs() {
  document.getElementById("m-tabs").replaceChildren(...TABS.map(([name, href, key, path]) =>
    h("a", { href, class: "tab", dataset: { tab: name } }, icon(path), h("span", {}, t(key)))));
}

function markTab(name) {
  const owner = { task: "day", parts: "day", requisition: "day", signature: "day", photos: "day", notes: "day", conflict: "more" }[name] || name;
  for (const tab of document.querySelectorAll(".tab")) {
    tab.classList.toggle("on", tab.dataset.tab === owner);
  }
}

/** Show the screen the address names; `again` re-draws the current one in place. */
async function show(again = false) {
  const [name, params] = route(location.hash);
  if (again && name !== current.name) {
    return;
  }
  const token = current.token + 1;
  const scroll = again ? main.scrollTop : 0;
  if (current.cleanup) {
    current.cleanup();
  }
  current = { token, name, cleanup: null };
  document.body.dataset.showing = name;
  markTab(name);
  if (!again) {
    main.replaceChildren(note(t("loading"), "loading"));
  }
  let node;
  let cleanup = null;
  let heading = [t("app_short_name"), null];
  const title = (text, back = null) => {
    heading = [text, back]; // shown with the screen: a late, stale render changes nothing
  };
  try {
    const drawn = await SCREENS[name].render({ app, params, title });
    ({ node, cleanup = null } = drawn instanceof Node ? { node: drawn } : drawn);
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      location.assign(LOGIN);
      return;
    }
    heading = [t("app_short_name"), null];
    node = screen("error", [problemView(error, app.config ? app.config.fields : {}),
      h("button", { type: "button", class: "btn", onclick: () => show(true) }, t("try_again"))]);
  }
  if (current.token !== token) {
    if (cleanup) {
      cleanup();
    }
    return;
  }
  current.cleanup = cleanup;
  titled(...heading);
  main.replaceChildren(node);
  main.scrollTop = scroll;
}

let redraw = null;

/** Re-draw the current screen soon, when it only shows data (not a form being filled). */
function redrawSoon() {
  clearTimeout(redraw);
  redraw = setTimeout(() => {
    const module = SCREENS[current.name];
    if (module && module.live) {
      show(true);
    }
  }, 250);
}

async function updateSync() {
  const list = await outbox.entries();
  const problems = list.filter((e) => e.state !== "queued").length;
  const waiting = list.length - problems;
  const link = document.getElementById("m-sync");
  let state = "ok";
  let text = online() ? t("sync_ok") : t("sync_offline");
  if (problems) {
    state = "problem";
    text = t("sync_problems", { n: problems });
  } else if (waiting) {
    state = "waiting";
    text = online() ? t("sync_waiting", { n: waiting }) : t("sync_offline_waiting", { n: waiting });
  } else if (!online()) {
    state = "offline";
  }
  link.dataset.state = state;
  link.dataset.waiting = String(waiting);
  link.querySelector(".sync-text").textContent = text;
  const banner = document.getElementById("m-banner");
  banner.hidden = outbox.haltedBy() !== "login";
  banner.replaceChildren(h("a", { href: LOGIN }, t("login_again")));
}

/** Follow the phone while one of today's tasks is en route (as queued steps leave it). */
async function follow() {
  const answer = await kept(`/api/v1/fs/my/tasks?date=${today()}`);
  const list = await outbox.entries();
  const tasks = answer ? answer.data.map((task) => outbox.overlay(task, list)) : [];
  tracking.follow(tasks.some((task) => task.status === "en_route"));
}
app.follow = follow;

async function forgetOtherUsers() {
  const known = await db.meta("user");
  if (known !== undefined && known !== app.user) {
    await db.clear("responses");
    await db.clear("drafts");
  }
  await db.setMeta("user", app.user);
}

async function start() {
  drawTabs();
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/m/sw.js", { scope: "/m/" }).catch((error) => console.warn(error));
  }
  await forgetOtherUsers();
  await forgetOlderThan(KEEP_DAYS);
  outbox.setUser(app.user);
  try {
    const { data } = await appStart();
    app.config = data;
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      location.assign(LOGIN);
      return;
    }
    titled(t("app_short_name"));
    const message = error instanceof Offline ? note(t("first_time_online")) : problemView(error);
    main.replaceChildren(screen("error", [message]));
    return;
  }
  setZone(app.config.user.time_zone);
  outbox.subscribe(() => {
    updateSync();
    redrawSoon();
    follow();
  });
  window.addEventListener("hashchange", () => show());
  // navigator.onLine may still say offline while the "online" event is dispatched
  window.addEventListener("online", () => setTimeout(backOnline, ONLINE_SETTLE_MS));
  window.addEventListener("offline", updateSync);
  outbox.keepSending();
  setInterval(tracking.sendPoints, POINTS_EVERY_MS);
  await updateSync();
  await show();
  follow();
  if (online()) {
    outbox.flush();
    tracking.sendPoints();
  }
}

/** The network is back: send what waits, and show fresh data. */
function backOnline() {
  updateSync();
  outbox.flush();
  tracking.sendPoints();
  redrawSoon();
}

start();
