/**
 * My day (data-screen="my-day"): today's tasks in planned order, with tabs for overdue
 * tasks and tomorrow; pull down (or the refresh button) to load again. Each card shows the
 * time window, status, customer, site, SLA time left and travel from the previous stop, and
 * calls the contact or opens a map app in one tap.
 *
 * Opened, it shows the day kept on the phone when the network is slow ("refreshing…"), and
 * draws it again when the network's answer differs; drawn again in place (pull, Refresh),
 * it waits for the network.
 */

import * as outbox from "../outbox.js";
import { load, online, quickly } from "../api.js";
import * as data from "../data.js";
import { distanceM } from "../geo.js";
import { addDays, dayName, duration, t, today } from "../i18n.js";
import { h, note, screen } from "../ui.js";
import { freshness, taskCard } from "./common.js";

export const live = true;
const PULL_PX = 70;
const prefetched = new Set();

function travel(app, tasks, index) {
  const task = tasks[index];
  if (index === 0) {
    return task.travel_minutes != null ? t("travel_from_here", { d: duration(task.travel_minutes) }) : null;
  }
  const metres = distanceM(tasks[index - 1].location, task.location);
  if (metres == null) {
    return null;
  }
  const speed = Number(app.config.settings.average_speed_kmh) || 30;
  return t("travel_from_previous", { d: duration(metres / 1000 / speed * 60) });
}

function tabs(active, tomorrow) {
  const tab = (name, href, label) => h("a", { href, class: `seg ${active === name ? "on" : ""}`, dataset: { tab: name }, "aria-current": active === name ? "page" : null }, label);
  return h("nav", { class: "segments" },
    tab("overdue", "#/overdue", t("overdue")),
    tab("today", "#/day", t("today")),
    tab("tomorrow", `#/day/${tomorrow}`, t("tomorrow")));
}

function pullToRefresh(app) {
  const main = document.getElementById("m-main");
  let from = null;
  const down = (event) => {
    from = main.scrollTop <= 0 ? event.touches[0].clientY : null;
  };
  const up = (event) => {
    if (from !== null && event.changedTouches[0].clientY - from > PULL_PX) {
      app.refresh();
    }
    from = null;
  };
  main.addEventListener("touchstart", down, { passive: true });
  main.addEventListener("touchend", up, { passive: true });
  return () => {
    main.removeEventListener("touchstart", down);
    main.removeEventListener("touchend", up);
  };
}

/** The screen from a read of the day (or of the overdue tasks). */
async function draw(app, view, loaded, fromPhone) {
  const { tab, date, tomorrow } = view;
  const pending = await outbox.entries();
  const tasks = loaded.tasks.map((task) => outbox.overlay(task, pending));
  const cards = tasks.map((task, index) => taskCard(app, task, loaded, {
    order: tab === "overdue" ? null : task.planned_order || index + 1,
    sla: data.nextDue(loaded.slas[index] || [], task),
    travel: tab === "overdue" ? null : travel(app, tasks, index),
  }));
  const next = tasks.find((task) => data.OPEN_STATES.includes(task.status));
  const body = [
    tabs(tab, tomorrow),
    fromPhone ? data.refreshing(loaded.cachedAt) : freshness(loaded.cachedAt),
    h("p", { class: "pull-hint" }, t("pull_to_refresh")),
    cards.length ? h("div", { class: "cards" }, cards) : note(t(tab === "overdue" ? "no_overdue" : "no_tasks")),
  ];
  const dock = [
    h("button", { type: "button", class: "btn refresh", dataset: { action: "refresh" }, onclick: () => app.refresh() }, "↻ ", t("refresh")),
    next ? h("a", { class: "btn primary big", href: `#/task/${next.id}`, dataset: { action: "open-next" } }, t("open_next", { number: next.number })) : null,
  ];
  const node = screen("my-day", body, dock);
  node.dataset.view = view.key;
  return node;
}

/** Read ahead each task of today once the day came from the network. */
function readAhead(app, view, loaded) {
  if (view.tab === "today" && !loaded.cachedAt && online() && !prefetched.has(view.date)) {
    prefetched.add(view.date);
    data.prefetch(loaded.tasks, app.config.bag && app.config.bag.id);
  }
}

export async function render({ app, params, title }) {
  const first = today();
  const tomorrow = addDays(first, 1);
  const tab = params.tab || (!params.date || params.date === first ? "today" : params.date === tomorrow ? "tomorrow" : "date");
  const date = params.date || first;
  title(tab === "overdue" ? t("overdue") : `${t(tab === "today" ? "my_day" : "day_of")} · ${dayName(date)}`);
  if (!app.config.resource) {
    return screen("my-day", [note(t("no_resource"))]);
  }
  const view = { tab, date, tomorrow, key: `${tab}/${date}` };
  const read = (get) => (tab === "overdue" ? data.overdue(app.config.resource.id, first, get) : data.day(date, get));
  // Drawn again where it stands (pull, Refresh, a step, back online): the network first.
  // Opened: the phone's copy when the network is slow, refreshed when the network answers.
  const again = document.querySelector(`#m-main > [data-screen="my-day"][data-view="${view.key}"]`);
  const { now, later } = again ? { now: await read(load), later: null } : await quickly(read);
  const node = await draw(app, view, now, Boolean(later));
  readAhead(app, view, now);
  if (later) {
    data.revalidate(app, node, later.then((loaded) => {
      readAhead(app, view, loaded);
      return loaded;
    }), (loaded) => draw(app, view, loaded, false));
  }
  if (tab === "today") {
    app.follow();
  }
  return { node, cleanup: pullToRefresh(app) };
}
