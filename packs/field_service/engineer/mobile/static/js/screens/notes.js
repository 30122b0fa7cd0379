/**
 * Notes and the work done (data-screen="notes"): what is typed is kept on the phone as it
 * is typed; saving sends only the changed fields (PATCH with If-Match of the version that
 * was edited), through the outbox, so a conflict with someone else's change is detected per
 * field and shown to the engineer (see the conflict screen).
 */

import * as db from "../db.js";
import * as outbox from "../outbox.js";
import { load } from "../api.js";
import { t } from "../i18n.js";
import { finishing } from "../workflow.js";
import { h, screen, showProblem } from "../ui.js";
import { announce, freshness } from "./common.js";

const ALWAYS = ["notes", "resolution"];
const TEXT = new Set(["text", "textarea"]);

export async function render({ app, params, title }) {
  const back = `#/task/${params.id}`;
  title(t("notes_and_work"), back);
  const [{ data: task, cachedAt }, pending] = await Promise.all([load(`/api/v1/records/field_task/${params.id}`), outbox.entries()]);
  const shown = outbox.overlay(task, pending);
  const step = finishing(app.config, shown);
  const names = [...new Set([...ALWAYS, ...(step ? step.require : [])])]
    .filter((name) => app.config.fields[name] && TEXT.has(app.config.fields[name].type));
  const inputs = {};
  const body = [freshness(cachedAt)];
  for (const name of names) {
    const draft = await db.get("drafts", `field:${task.id}:${name}`);
    const input = h("textarea", { class: "field", name, rows: name === "notes" ? 5 : 6, dataset: { field: name } });
    input.value = draft ? draft.value : shown[name] || "";
    input.addEventListener("input", () => db.put("drafts", { id: `field:${task.id}:${name}`, value: input.value }));
    inputs[name] = input;
    body.push(h("label", { class: "label", for: `f-${name}` }, app.config.fields[name].label), input);
    input.id = `f-${name}`;
  }
  const save = h("button", {
    type: "button",
    class: "btn primary big",
    dataset: { action: "save-notes" },
    onclick: async () => {
      const fields = {};
      const base = {};
      for (const [name, input] of Object.entries(inputs)) {
        const value = input.value.trim();
        if (value !== (shown[name] || "")) {
          fields[name] = value || null;
          base[name] = shown[name] == null ? null : shown[name];
        }
      }
      if (!Object.keys(fields).length) {
        location.hash = back;
        return;
      }
      try {
        const outcome = await outbox.submit({
          kind: "patch",
          object: "field_task",
          id: task.id,
          number: task.number,
          label: t("notes_and_work"),
          version: task.version,
          fields,
          base,
        });
        for (const name of Object.keys(inputs)) {
          await db.remove("drafts", `field:${task.id}:${name}`);
        }
        announce(outcome, back);
      } catch (error) {
        await showProblem(error, app.config.fields);
      }
    },
  }, t("save"));
  return screen("notes", body, [save]);
}
