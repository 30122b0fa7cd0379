/**
 * What the screens read, through the API, each answer kept for offline use:
 * the day (GET /api/v1/fs/my/tasks?date=), a task with what surrounds it (site, customer,
 * contact, work order, asset and its last visits, SLA clocks, check-ins, parts used), the
 * engineer's bag, overdue tasks and the week (the generic records API), the grab pool.
 */

import { byIds, load } from "./api.js";
import { dayStart, addDays } from "./i18n.js";

export const OPEN_STATES = ["dispatched", "accepted", "en_route", "arrived", "in_service", "waiting_parts"];

/** What the app needs to start (GET /api/v1/fs/my/app). */
export function appStart() {
  return load("/api/v1/fs/my/app");
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
export async function around(tasks) {
  const [sites, contacts, workOrders] = await Promise.all([
    settle(byIds("site", tasks.map((task) => task.site)), new Map()),
    settle(byIds("contact", tasks.map((task) => task.contact)), new Map()),
    settle(byIds("work_order", tasks.map((task) => task.work_order)), new Map()),
  ]);
  const customerIds = [...sites.values()].map((s) => s.customer).concat([...workOrders.values()].map((w) => w.customer));
  const customers = await settle(byIds("customer", customerIds), new Map());
  return { sites, contacts, workOrders, customers };
}

/** The SLA clocks of a work order (kept offline); [] when there are none or no access. */
export async function clocks(workOrderId) {
  if (!workOrderId) {
    return [];
  }
  const answer = await settle(load(`/api/v1/records/work_order/${workOrderId}/sla`), null);
  return answer ? answer.data.data : [];
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

/** A day's tasks in planned order with what surrounds them. */
export async function day(date) {
  const { data, cachedAt } = await load(`/api/v1/fs/my/tasks?date=${date}`);
  const tasks = data.data;
  const [context, slas] = await Promise.all([
    around(tasks),
    Promise.all(tasks.map((task) => clocks(task.work_order))),
  ]);
  return { tasks, cachedAt, slas, ...context };
}

/** Open tasks of mine that should have started before today. */
export async function overdue(resourceId, today) {
  const url = `/api/v1/records/field_task?assigned_resource=${resourceId}`
    + `&status__in=${OPEN_STATES.join(",")}&assigned_start__lt=${encodeURIComponent(dayStart(today))}`
    + "&sort=assigned_start&limit=200";
  const { data, cachedAt } = await load(url);
  const tasks = data.data;
  const [context, slas] = await Promise.all([around(tasks), Promise.all(tasks.map((task) => clocks(task.work_order)))]);
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
export async function task(id) {
  const { data: record, cachedAt } = await load(`/api/v1/records/field_task/${id}`);
  const context = await around([record]);
  const workOrder = context.workOrders.get(record.work_order) || null;
  const [asset, visits, slaList, checkIns, used, skills] = await Promise.all([
    workOrder && workOrder.asset ? settle(load(`/api/v1/records/asset/${workOrder.asset}`).then((a) => a.data), null) : null,
    workOrder && workOrder.asset
      ? settle(load(`/api/v1/records/work_order?asset=${workOrder.asset}&sort=-created_at&limit=6`).then((a) => a.data.data.filter((w) => w.id !== workOrder.id)), [])
      : [],
    clocks(record.work_order),
    settle(load(`/api/v1/records/check_in?field_task=${id}&sort=-checked_in_at&limit=5`).then((a) => a.data.data), []),
    settle(load(`/api/v1/records/part_movement?field_task=${id}&kind=consumption&sort=id&limit=100&expand=part`).then((a) => a.data.data), []),
    skillsOf(record.required_skills),
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

async function skillsOf(required) {
  const wanted = Array.isArray(required) ? required.filter((r) => r && r.skill) : [];
  if (!wanted.length) {
    return [];
  }
  const codes = wanted.map((r) => String(r.skill));
  const answer = await settle(load(`/api/v1/records/skill?code__in=${codes.map(encodeURIComponent).join(",")}&limit=100`), null);
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
