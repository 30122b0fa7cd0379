/**
 * What the screens read, through the API, each answer kept for offline use:
 * the day (GET /api/v1/fs/my/tasks?date=, each task with its SLA clock due first), a task
 * with what surrounds it (site, customer, contact, work order, asset and its last visits,
 * the SLA clock, check-ins, parts used), the engineer's bag, overdue tasks and the week (the
 * generic records API), the grab pool.
 *
 * The day, overdue tasks and a task take `get`: `load` (the network, else the phone's copy)
 * or `loadKept` (the phone's copy only), so their screens can show the copy first and
 * refresh it (`quickly` and `revalidate`).
 */

import { byIds, kept, load, loadKept, online } from "./api.js";
import { dateTime, dayOf, dayStart, addDays, setZone, t, today } from "./i18n.js";
import { h } from "./ui.js";

export const OPEN_STATES = ["dispatched", "accepted", "en_route", "arrived", "in_service", "waiting_parts"];

const APP_START = "/api/v1/fs/my/app";

/**
 * What the app needs to start (GET /api/v1/fs/my/app). The copy this version of the app
 * kept is answered at once when there is one; the network's answer then replaces its
 * content (the same object, so the app uses it from then on) and is kept for next time.
 */
export async function appStart() {
  let copy = null;
  try {
    copy = online() ? await loadKept(APP_START, true) : null;
  } catch (error) {
    copy = null;
  }
  if (!copy) {
    return load(APP_START);
  }
  load(APP_START).then((fresh) => {
    if (fresh.cachedAt) {
      return;
    }
    const zone = copy.data.user && copy.data.user.time_zone;
    for (const key of Object.keys(copy.data)) {
      delete copy.data[key];
    }
    Object.assign(copy.data, fresh.data);
    if (fresh.data.user && fresh.data.user.time_zone !== zone) {
      setZone(fresh.data.user.time_zone);
    }
  }, () => {}); // no network, or signed out: the screens' own reads say so
  return copy;
}

async function settle(promise, fallback) {
  try {
    return await promise;
  } catch (error) {
    return fallback;
  }
}

/**
 * The places, people and work orders of some tasks: {sites, customers, contacts,
 * workOrders} as Maps by id (missing ones are simply absent).
 */
export async function around(tasks, get = load) {
  const [sites, contacts, workOrders] = await Promise.all([
    settle(byIds("site", tasks.map((task) => task.site), get), new Map()),
    settle(byIds("contact", tasks.map((task) => task.contact), get), new Map()),
    settle(byIds("work_order", tasks.map((task) => task.work_order), get), new Map()),
  ]);
  const customerIds = [...sites.values()].map((s) => s.customer).concat([...workOrders.values()].map((w) => w.customer));
  const customers = await settle(byIds("customer", customerIds, get), new Map());
  return { sites, contacts, workOrders, customers };
}

/** The SLA clocks of a work order (kept offline); [] when there are none or no access. */
export async function clocks(workOrderId, get = load) {
  if (!workOrderId) {
    return [];
  }
  const answer = await settle(get(`/api/v1/records/work_order/${workOrderId}/sla`), null);
  return answer ? answer.data.data : [];
}

function dayUrl(date) {
  return `/api/v1/fs/my/tasks?date=${date}`;
}

/**
 * The SLA clocks of a task as a list of at most one, the clock due first: the one its day
 * carries (GET /fs/my/tasks, kept on the phone: the task's day, else today's, where
 * unscheduled tasks are), else the work order's clocks (a task not in a kept day).
 */
async function slaOf(record, get) {
  const days = [record.assigned_start ? dayOf(record.assigned_start) : null, today()];
  for (const date of new Set(days.filter(Boolean))) {
    const answer = await settle(kept(dayUrl(date)), null);
    const found = answer && Array.isArray(answer.data) ? answer.data.find((each) => each.id === record.id) : null;
    if (found && found.sla !== undefined) {
      return found.sla ? [found.sla] : [];
    }
  }
  return clocks(record.work_order, get);
}

/** The running clock due first, as {target, due_at, status}, or null. */
export function nextDue(list, task) {
  const running = list.filter((c) => !c.stopped_at && c.due_at && c.status !== "met");
  running.sort((a, b) => a.due_at.localeCompare(b.due_at));
  if (running.length) {
    return running[0];
  }
  return task && task.due_at ? { target: "due", due_at: task.due_at, status: "on_track" } : null;
}

/**
 * A day's tasks in planned order with what surrounds them; `slas[i]` lists the clock due
 * first of task i (the day's answer carries it: no request per task).
 */
export async function day(date, get = load) {
  const { data, cachedAt } = await get(dayUrl(date));
  const tasks = data.data;
  const context = await around(tasks, get);
  return { tasks, cachedAt, slas: tasks.map((task) => (task.sla ? [task.sla] : [])), ...context };
}

/** Open tasks of mine that should have started before today. */
export async function overdue(resourceId, first, get = load) {
  const url = `/api/v1/records/field_task?assigned_resource=${resourceId}`
    + `&status__in=${OPEN_STATES.join(",")}&assigned_start__lt=${encodeURIComponent(dayStart(first))}`
    + "&sort=assigned_start&limit=200";
  const { data, cachedAt } = await get(url);
  const tasks = data.data;
  const [context, slas] = await Promise.all([around(tasks, get), Promise.all(tasks.map((task) => clocks(task.work_order, get)))]);
  return { tasks, cachedAt, slas, ...context };
}

/** My tasks scheduled in the 7 days from `first`. */
export async function week(resourceId, first) {
  const url = `/api/v1/records/field_task?assigned_resource=${resourceId}`
    + `&assigned_start__gte=${encodeURIComponent(dayStart(first))}`
    + `&assigned_start__lt=${encodeURIComponent(dayStart(addDays(first, 7)))}`
    + "&sort=assigned_start&limit=500";
  const { data, cachedAt } = await load(url);
  const tasks = data.data;
  const { sites, customers } = await around(tasks);
  return { tasks, cachedAt, sites, customers };
}

/** One task (with `_transitions` when fresh) and what surrounds it. */
export async function task(id, get = load) {
  const { data: record, cachedAt } = await get(`/api/v1/records/field_task/${id}`);
  const context = await around([record], get);
  const workOrder = context.workOrders.get(record.work_order) || null;
  const [asset, visits, slaList, checkIns, used, skills] = await Promise.all([
    workOrder && workOrder.asset ? settle(get(`/api/v1/records/asset/${workOrder.asset}`).then((a) => a.data), null) : null,
    workOrder && workOrder.asset
      ? settle(get(`/api/v1/records/work_order?asset=${workOrder.asset}&sort=-created_at&limit=6`).then((a) => a.data.data.filter((w) => w.id !== workOrder.id)), [])
      : [],
    slaOf(record, get),
    settle(get(`/api/v1/records/check_in?field_task=${id}&sort=-checked_in_at&limit=5`).then((a) => a.data.data), []),
    settle(get(`/api/v1/records/part_movement?field_task=${id}&kind=consumption&sort=id&limit=100&expand=part`).then((a) => a.data.data), []),
    skillsOf(record.required_skills, get),
  ]);
  return {
    record, cachedAt, workOrder, asset, visits, checkIns, used, skills,
    site: context.sites.get(record.site) || null,
    contact: context.contacts.get(record.contact) || null,
    customer: context.customers.get((context.sites.get(record.site) || {}).customer)
      || context.customers.get((workOrder || {}).customer) || null,
    sla: nextDue(slaList, record),
  };
}

async function skillsOf(required, get) {
  const wanted = Array.isArray(required) ? required.filter((r) => r && r.skill) : [];
  if (!wanted.length) {
    return [];
  }
  const codes = wanted.map((r) => String(r.skill));
  const answer = await settle(get(`/api/v1/records/skill?code__in=${codes.map(encodeURIComponent).join(",")}&limit=100`), null);
  const names = new Map(answer ? answer.data.data.map((s) => [s.code, s.name]) : []);
  return wanted.map((r) => ({ code: r.skill, name: names.get(String(r.skill)) || r.skill, level: r.level }));
}

/** The parts in my bag (balances above zero, with their part). */
export async function bag(bagId) {
  const { data, cachedAt } = await load(`/api/v1/records/stock_balance?location=${bagId}&qty__gt=0&expand=part&sort=id&limit=1000`);
  return { balances: data.data, cachedAt };
}

/** Warehouses a requisition may take from. */
export async function warehouses() {
  const { data } = await load("/api/v1/records/stock_location?kind=warehouse&active=true&sort=name&limit=200");
  return data.data;
}

/** Active spare parts, for a requisition. */
export async function parts() {
  const { data } = await load("/api/v1/records/part?active=true&sort=name&limit=1000");
  return data.data;
}

/** Tasks open to claim (the grab pool) with their sites. */
export async function pool() {
  const { data, cachedAt } = await load("/api/v1/pool/field_task?limit=100");
  const items = data.data;
  const { sites, customers } = await around(items.map((item) => item.record));
  return { items, cachedAt, sites, customers };
}

/** Read ahead what opening each task needs, so the day's tasks open offline too. */
export async function prefetch(tasks, bagId) {
  for (const each of tasks) {
    await settle(task(each.id), null);
  }
  if (bagId) {
    await settle(bag(bagId), null);
  }
}

/** "Saved 10:42 · refreshing…" over a screen drawn from the phone's copy while the network
 * is asked (see `revalidate`). */
export function refreshing(cachedAt) {
  return h("p", { class: "stale refreshing", dataset: { refreshing: "1" } },
    t("refreshing", { when: dateTime(cachedAt.toISOString()) }));
}

/**
 * Bring a screen drawn from the phone's copy up to date. When `later` (the network's answer,
 * see `quickly`) comes, `draw(loaded)` draws the screen again: it takes the place of `node`
 * when it looks different, else only the "refreshing" hint goes. A failed refresh draws the
 * screen again through `app.refresh()` (the network first: a lost login goes to the login
 * page, a problem is shown). Nothing happens once the screen was left or drawn again.
 */
export async function revalidate(app, node, later, draw) {
  let loaded;
  try {
    loaded = await later;
  } catch (error) {
    await tick();
    if (node.isConnected) {
      app.refresh();
    }
    return;
  }
  await tick(); // the screen is in the page by now (it is put there once drawn)
  if (!node.isConnected) {
    return;
  }
  const next = await draw(loaded);
  if (!node.isConnected) {
    return;
  }
  const before = node.cloneNode(true);
  for (const hint of before.querySelectorAll("[data-refreshing]")) {
    hint.remove();
  }
  if (before.outerHTML === next.outerHTML) {
    for (const hint of node.querySelectorAll("[data-refreshing]")) {
      hint.remove();
    }
  } else {
    node.replaceWith(next);
  }
}

function tick() {
  return new Promise((resolve) => {
    setTimeout(resolve, 0);
  });
}
