/**
 * Pieces several screens share: task cards, call and navigate buttons, status and priority
 * chips, SLA time left, and the "offline, saved at …" notice.
 */

import { mapLinks } from "../geo.js";
import { dateTime, duration, t, time } from "../i18n.js";
import { stateLabel } from "../workflow.js";
import { chip, h, sheet, toast } from "../ui.js";

/** "Offline — saved at 10:42" when the data came from the phone, else nothing. */
export function freshness(cachedAt) {
  return cachedAt ? h("p", { class: "stale", dataset: { stale: "1" } }, t("saved_at", { when: dateTime(cachedAt.toISOString()) })) : null;
}

/** A tel: link as a big button (nothing when there is no number). */
export function callButton(phone, label = null) {
  if (!phone) {
    return null;
  }
  return h("a", { class: "btn call", href: `tel:${String(phone).replace(/[^\d+]/g, "")}`, dataset: { action: "call" } },
    "☎ ", label || t("call"));
}

/** A button offering the phone's map apps to navigate to `point`. */
export function navigateButton(point, name) {
  if (!point || point.lat == null) {
    return null;
  }
  return h("button", {
    type: "button",
    class: "btn navigate",
    dataset: { action: "navigate" },
    onclick: () => sheet({
      title: t("navigate_to", { name: name || "" }),
      name: "navigate",
      body: h("div", { class: "map-links" }, mapLinks(point, name).map((link) =>
        h("a", { class: "btn", href: link.href, target: link.app === "geo" ? null : "_blank", rel: "noopener", dataset: { app: link.app } }, t(`map_${link.app}`)))),
      actions: [{ label: t("close"), value: null }],
    }),
  }, "➤ ", t("navigate"));
}

/** The task's status as a chip in the user's language. */
export function statusChip(config, status) {
  return chip(stateLabel(config, status), `status-${status}`);
}

/** The priority as a chip (only when above normal, so it stands out). */
export function priorityChip(priority) {
  if (!priority || priority === "normal" || priority === "low") {
    return null;
  }
  return chip(t(`priority_${priority}`), `priority-${priority}`);
}

/** "09:00–11:00" (the appointment window), else the planned start, else "unscheduled". */
export function whenText(task) {
  if (task.window_start && task.window_end) {
    return `${time(task.window_start)}–${time(task.window_end)}`;
  }
  if (task.assigned_start) {
    return t("planned_at", { time: time(task.assigned_start) });
  }
  return t("unscheduled");
}

/** "SLA: 2 h 10 min left" / "SLA: 20 min overdue" from the clock due first. */
export function slaText(clock) {
  if (!clock || !clock.due_at) {
    return null;
  }
  const minutes = (new Date(clock.due_at).getTime() - Date.now()) / 60000;
  const kind = minutes < 0 || clock.status === "breached" ? "late" : clock.status === "warning" || minutes < 60 ? "soon" : "ok";
  const text = minutes < 0 ? t("sla_late", { d: duration(-minutes) }) : t("sla_left", { d: duration(minutes) });
  return h("span", { class: `sla sla-${kind}`, dataset: { sla: kind } }, text);
}

/** A task as a card: time, status, customer, site, SLA, travel; call and navigate. */
export function taskCard(app, task, context, extra = {}) {
  const site = context.sites.get(task.site) || null;
  const workOrder = context.workOrders ? context.workOrders.get(task.work_order) || null : null;
  const contact = context.contacts ? context.contacts.get(task.contact) || null : null;
  const customer = context.customers.get((site || {}).customer) || context.customers.get((workOrder || {}).customer) || null;
  const phone = (contact && contact.phone) || (workOrder && workOrder.contact_phone) || (customer && customer.phone);
  const place = task.location || (site && site.location);
  const meta = [
    extra.sla ? slaText(extra.sla) : null,
    extra.travel != null ? h("span", { class: "travel" }, extra.travel) : null,
  ].filter(Boolean);
  return h("article", { class: "card task-card", dataset: { taskId: String(task.id), status: task.status } },
    h("a", { class: "card-main", href: `#/task/${task.id}` },
      h("div", { class: "card-head" },
        extra.order ? h("span", { class: "order" }, String(extra.order)) : null,
        h("span", { class: "when" }, whenText(task)),
        statusChip(app.config, task.status),
        priorityChip(task.priority),
        task._queued ? chip(t("waiting_to_send"), "queued") : null),
      h("div", { class: "who" }, customer ? customer.name : task.number),
      h("div", { class: "where" }, [site && site.name, site && site.address].filter(Boolean).join(" · ") || t("no_site")),
      meta.length ? h("div", { class: "meta" }, meta) : null),
    h("div", { class: "card-actions" }, callButton(phone), navigateButton(place, site ? site.name : task.number)));
}

/** Say how a change went and go on: to `back`, or to the conflict screen when it needs a
 * decision. */
export function announce(outcome, back, sentText = null) {
  if (outcome.state === "conflict") {
    toast(t("needs_decision"));
    location.hash = "#/sync";
    return;
  }
  toast(outcome.state === "sent" ? sentText || t("saved") : t("queued_offline"));
  location.hash = back;
}
