/**
 * Parts used on a task (data-screen="parts"): only what my bag holds (less what is already
 * queued), search, quantity, then one tap posts the consumption (POST
 * /api/v1/fs/tasks/<id>/parts, kind consumption). Or "no parts used", which the workflow
 * accepts instead before completing.
 */

import * as outbox from "../outbox.js";
import { load } from "../api.js";
import * as data from "../data.js";
import { t } from "../i18n.js";
import { h, note, screen, showProblem } from "../ui.js";
import { announce, freshness } from "./common.js";
import { partPicker } from "./picker.js";

async function submit(change, back, app) {
  try {
    announce(await outbox.submit(change), back);
  } catch (error) {
    await showProblem(error, app.config.fields);
  }
}

export async function render({ app, params, title }) {
  const back = `#/task/${params.id}`;
  title(t("parts_for_task"), back);
  if (!app.config.bag) {
    return screen("parts", [note(t("no_bag"))]);
  }
  const [{ data: task }, stock, pending] = await Promise.all([
    load(`/api/v1/records/field_task/${params.id}`),
    data.bag(app.config.bag.id),
    outbox.entries(),
  ]);
  const shown = outbox.overlay(task, pending);
  const queued = new Map();
  for (const entry of pending) {
    if (entry.kind === "post" && entry.body && entry.body.kind === "consumption" && entry.state === "queued") {
      for (const line of entry.body.lines) {
        queued.set(line.part, (queued.get(line.part) || 0) + Number(line.qty));
      }
    }
  }
  const rows = stock.balances
    .filter((balance) => balance.part && typeof balance.part === "object")
    .map((balance) => ({ part: balance.part, available: Math.max(0, Number(balance.qty) - (queued.get(balance.part.id) || 0)) }));
  const picker = partPicker(rows);
  const use = h("button", { type: "button", class: "btn primary big", dataset: { action: "use-parts" }, disabled: true }, t("use_parts"));
  picker.onChange(() => {
    use.disabled = picker.count() === 0;
    use.textContent = picker.count() ? t("use_n_parts", { n: picker.count() }) : t("use_parts");
  });
  use.addEventListener("click", () => submit({
    kind: "post",
    object: "field_task",
    id: task.id,
    number: task.number,
    label: t("parts_used"),
    url: `/api/v1/fs/tasks/${task.id}/parts`,
    body: { kind: "consumption", lines: picker.lines() },
  }, back, app));
  const none = shown.no_parts_used ? null : h("button", {
    type: "button",
    class: "btn",
    dataset: { action: "no-parts" },
    onclick: () => submit({
      kind: "patch",
      object: "field_task",
      id: task.id,
      number: task.number,
      label: (app.config.fields.no_parts_used || {}).label || t("no_parts_used"),
      version: task.version,
      fields: { no_parts_used: true },
      base: { no_parts_used: shown.no_parts_used },
    }, back, app),
  }, t("no_parts_used"));
  const body = [
    freshness(stock.cachedAt),
    h("p", { class: "hint" }, t("from_my_bag", { bag: app.config.bag.name || "" })),
    rows.length ? picker.node : note(t("bag_empty")),
    h("a", { class: "btn", href: `#/task/${task.id}/requisition`, dataset: { action: "requisition" } }, t("request_parts")),
  ];
  return screen("parts", body, [none, use]);
}
