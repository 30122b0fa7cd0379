/**
 * My day (data-screen="my-day"): today's tasks in planned order, with tabs for overdue
 * tasks and tomorrow; pull down (or the refresh button) to load again. Each card shows the
 * time window, status, customer, site, SLA time left and travel from the previous stop, and
 * calls the contact or opens a map app in one tap.
 */

import * as outbox from "../outbox.js";
import { online } from "../api.js";
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

export async function render({ app, params, title }) {
  const first = today();
  const tomorrow = addDays(first, 1);
  const tab = params.tab || (!params.date || params.date === first ? "today" : params.date === tomorrow ? "tomorrow" : "date");
  const date = params.date || first;
  title(tab === "overdue" ? t("overdue") : `${t(tab === "today" ? "my_day" : "day_of")} · ${dayName(date)}`);
  if (!app.config.resource) {
    return screen("my-day", [note(t("no_resource"))]);
  }
  const loaded = tab === "overdue" ? await data.overdue(app.config.resource.id, first) : await data.day(date);
  const pending = await outbox.entries();
  const tasks = loaded.tasks.map((task) => outbox.overlay(task, pending));
  const cards = tasks.map((task, index) => taskCard(app, task, loaded, {
    order: tab === "overdue" ? null : task.planned_order || index + 1,
    sla: data.nextDue(loaded.slas[index] || [], task),
    travel: tab === "overdue" ? null : travel(app, tasks, index),
  }));
  if (tab === "today" && !loaded.cachedAt && online() && !prefetched.has(date)) {
    prefetched.add(date);
    data.prefetch(tasks, app.config.bag && app.config.bag.id);
  }
  if (tab === "today") {
    app.follow();
  }
  const next = tasks.find((task) => data.OPEN_STATES.includes(task.status));
  const body = [
    tabs(tab, tomorrow),
    freshness(loaded.cachedAt),
    h("p", { class: "pull-hint" }, t("pull_to_refresh")),
    cards.length ? h("div", { class: "cards" }, cards) : note(t(tab === "overdue" ? "no_overdue" : "no_tasks")),
  ];
  const dock = [
    h("button", { type: "button", class: "btn refresh", dataset: { action: "refresh" }, onclick: () => app.refresh() }, "↻ ", t("refresh")),
    next ? h("a", { class: "btn primary big", href: `#/task/${next.id}`, dataset: { action: "open-next" } }, t("open_next", { number: next.number })) : null,
  ];
  return { node: screen("my-day", body, dock), cleanup: pullToRefresh(app) };
}
