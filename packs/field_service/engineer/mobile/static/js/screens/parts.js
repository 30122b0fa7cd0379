/**
 * Parts used on a task (data-screen="parts"): only what my bag holds (less what is already
 * queued), search or scan, quantity, then one tap posts the consumption (POST
 * /api/v1/fs/tasks/<id>/parts, kind consumption). Or "no parts used", which the workflow
 * accepts instead before completing.
 *
 * Scanning a part's code adds one of it: with the camera (the scan button, where the
 * browser has BarcodeDetector, see scan.js), or with a hardware or Bluetooth scanner,
 * which types the code and Enter into the search box (or anywhere on the screen). A code
 * that is not in the bag is said so, naming the part when the server knows it.
 */

import * as outbox from "../outbox.js";
import { load, send } from "../api.js";
import * as data from "../data.js";
import { t } from "../i18n.js";
import { canScan, scanCode } from "../scan.js";
import { h, note, screen, showProblem } from "../ui.js";
import { announce, freshness } from "./common.js";
import { partPicker } from "./picker.js";

const WEDGE_KEY_MS = 80; // a scanner types faster than this between keys; people do not

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
  const said = h("p", { class: "scan-result", role: "status", hidden: true });
  const tell = (kind, text, code) => {
    Object.assign(said.dataset, { scan: kind, code });
    said.textContent = text;
    said.hidden = false;
  };
  const choose = async (code, quiet = false) => {
    const found = picker.pick(code);
    if (found) {
      const { part, qty, added } = found;
      tell(added ? "found" : "none-left", added ? t("scanned_part", { code: part.code, name: part.name, n: qty }) : t("none_left", { name: part.name }), part.code);
      return;
    }
    if (quiet) {
      return; // typed words that match some parts: a search, not a code
    }
    tell("missing", t("not_in_bag", { code }), code);
    try {
      const { data: known } = await send("GET", `/api/v1/records/part?code=${encodeURIComponent(code)}&limit=1`);
      const part = known.data[0];
      if (part && said.dataset.code === code) {
        tell("missing", t("not_in_bag_named", { name: part.name, code: part.code }), code);
      }
    } catch (error) {
      // offline or not allowed: the code alone says enough
    }
  };
  picker.search.addEventListener("keydown", (event) => {
    const code = picker.search.value.trim();
    if (event.key !== "Enter" || !code) {
      return;
    }
    event.preventDefault();
    const listed = picker.node.querySelector("li.part:not([hidden])") !== null;
    choose(code, listed);
  });
  const scan = h("button", {
    type: "button",
    class: "btn big scan",
    dataset: { action: "scan" },
    hidden: !canScan(),
    onclick: async () => {
      try {
        const code = await scanCode();
        if (code) {
          await choose(code);
        }
      } catch (error) {
        tell("camera", t("camera_failed", { reason: error.message || error.name || "" }), "");
      }
    },
  }, "▦ ", t("scan_part"));
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
    rows.length ? [scan, said, picker.node] : note(t("bag_empty")),
    h("a", { class: "btn", href: `#/task/${task.id}/requisition`, dataset: { action: "requisition" } }, t("request_parts")),
  ];
  const unwedge = wedge((code) => choose(code));
  return { node: screen("parts", body, [none, use]), cleanup: unwedge };
}

/**
 * A scanner typing while no box has the focus: keys coming faster than a person types,
 * then Enter, are a code. Returns the function that stops listening.
 */
function wedge(onCode) {
  let typed = "";
  let last = 0;
  const listen = (event) => {
    const target = event.target;
    if (target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement || event.ctrlKey || event.metaKey || event.altKey) {
      return;
    }
    const now = event.timeStamp;
    if (now - last > WEDGE_KEY_MS) {
      typed = "";
    }
    last = now;
    if (event.key === "Enter" && typed.length >= 2) {
      event.preventDefault();
      onCode(typed);
      typed = "";
    } else if (event.key.length === 1) {
      typed += event.key;
    }
  };
  document.addEventListener("keydown", listen);
  return () => document.removeEventListener("keydown", listen);
}
