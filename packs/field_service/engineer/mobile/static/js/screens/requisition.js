/**
 * Request parts from a warehouse for a task (data-screen="requisition"): choose the
 * warehouse, the parts and quantities; POST /api/v1/fs/tasks/<id>/parts with kind
 * requisition, which waits for a warehouse keeper's approval.
 */

import * as outbox from "../outbox.js";
import { load } from "../api.js";
import * as data from "../data.js";
import { t } from "../i18n.js";
import { h, note, screen, showProblem } from "../ui.js";
import { announce } from "./common.js";
import { partPicker } from "./picker.js";

export async function render({ app, params, title }) {
  const back = `#/task/${params.id}`;
  title(t("request_parts"), back);
  const [{ data: task }, stores, catalogue] = await Promise.all([
    load(`/api/v1/records/field_task/${params.id}`),
    data.warehouses(),
    data.parts(),
  ]);
  if (!stores.length) {
    return screen("requisition", [note(t("no_warehouses"))]);
  }
  let warehouse = stores[0].id;
  const choices = h("fieldset", { class: "choices" }, h("legend", {}, t("warehouse")), stores.map((store, index) => {
    const radio = h("input", { type: "radio", name: "warehouse", value: String(store.id), checked: index === 0, onchange: () => { warehouse = store.id; } });
    return h("label", { class: "choice", dataset: { warehouse: String(store.id) } }, radio, h("span", {}, store.name));
  }));
  const picker = partPicker(catalogue.map((part) => ({ part, available: null })));
  const send = h("button", { type: "button", class: "btn primary big", dataset: { action: "request" }, disabled: true }, t("send_request"));
  picker.onChange(() => {
    send.disabled = picker.count() === 0;
  });
  send.addEventListener("click", async () => {
    try {
      const outcome = await outbox.submit({
        kind: "post",
        object: "field_task",
        id: task.id,
        number: task.number,
        label: t("request_parts"),
        url: `/api/v1/fs/tasks/${task.id}/parts`,
        body: { kind: "requisition", warehouse, lines: picker.lines() },
      });
      announce(outcome, back, t("requested"));
    } catch (error) {
      await showProblem(error, app.config.fields);
    }
  });
  return screen("requisition", [h("p", { class: "hint" }, t("requisition_hint")), choices, picker.node], [send]);
}
