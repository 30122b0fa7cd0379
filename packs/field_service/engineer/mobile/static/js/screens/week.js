/**
 * My week (data-screen="week"): the tasks scheduled in the 7 days from today, per day in
 * my time zone (one query on the generic records API), each a tap away.
 */

import * as outbox from "../outbox.js";
import * as data from "../data.js";
import { addDays, dayName, dayOf, t, today } from "../i18n.js";
import { h, note, screen } from "../ui.js";
import { freshness, statusChip, whenText } from "./common.js";

export const live = true;

export async function render({ app, title }) {
  title(t("my_week"));
  if (!app.config.resource) {
    return screen("week", [note(t("no_resource"))]);
  }
  const first = today();
  const loaded = await data.week(app.config.resource.id, first);
  const pending = await outbox.entries();
  const days = new Map(Array.from({ length: 7 }, (_, i) => [addDays(first, i), []]));
  for (const task of loaded.tasks) {
    const list = days.get(dayOf(task.assigned_start));
    if (list) {
      list.push(outbox.overlay(task, pending));
    }
  }
  const sections = [...days].map(([day, tasks]) => h("section", { class: "card day", dataset: { day } },
    h("h2", {}, h("a", { href: day === first ? "#/day" : `#/day/${day}` }, dayName(day)), " ", h("span", { class: "count" }, t("n_tasks", { n: tasks.length }))),
    tasks.length ? h("ul", { class: "week-tasks" }, tasks.map((task) => {
      const site = loaded.sites.get(task.site);
      const customer = site ? loaded.customers.get(site.customer) : null;
      return h("li", {}, h("a", { href: `#/task/${task.id}`, dataset: { taskId: String(task.id) } },
        h("span", { class: "when" }, whenText(task)), " ",
        h("b", {}, customer ? customer.name : task.number), " ",
        site ? h("span", { class: "muted" }, site.name) : null, " ",
        statusChip(app.config, task.status)));
    })) : null));
  return screen("week", [freshness(loaded.cachedAt), sections]);
}
