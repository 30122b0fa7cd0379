/**
 * Choosing parts and quantities: a search box over code, name and model, and per part a
 * quantity with − and + buttons (and a box to type a larger number). Shared by the parts
 * screen (from my bag, limited to what it holds) and the requisition form (any part).
 */

import { t } from "../i18n.js";
import { h, note } from "../ui.js";

function matches(part, words) {
  const text = [part.code, part.name, part.model].filter(Boolean).join(" ").toLowerCase();
  return words.every((word) => text.includes(word));
}

/**
 * rows: [{part: {id, code, name, model, unit}, available: number|null}].
 * Returns {node, search, lines(), count(), onChange(fn), pick(code)}; lines() is
 * [{part, qty}] with qty > 0; pick(code) adds one of the part whose code is exactly `code`
 * (a scan) and shows it: {part, qty, added} (added is false when none is left), or null
 * when no row has that code.
 */
export function partPicker(rows) {
  const chosen = new Map();
  const listeners = [];
  const changed = () => listeners.forEach((listener) => listener());
  const search = h("input", { type: "search", class: "field search", placeholder: t("search_parts"), "aria-label": t("search_parts"), dataset: { action: "search" } });
  const items = rows.map(({ part, available }) => {
    const limit = available == null ? Infinity : available;
    const qty = h("input", { type: "number", class: "qty", min: "0", step: "1", inputmode: "numeric", value: "0", "aria-label": t("quantity") });
    const set = (value) => {
      const clean = Math.max(0, Math.min(limit, Number.isFinite(value) ? value : 0));
      qty.value = String(clean);
      if (clean > 0) {
        chosen.set(part.id, clean);
      } else {
        chosen.delete(part.id);
      }
      changed();
    };
    qty.addEventListener("change", () => set(Number(qty.value)));
    const row = h("li", { class: "part", dataset: { part: String(part.id), code: part.code || "" } },
      h("div", { class: "part-name" },
        h("b", {}, part.name), h("span", { class: "muted" }, [part.code, part.model].filter(Boolean).join(" · ")),
        available == null ? null : h("span", { class: "stock" }, t("in_bag", { n: available, unit: part.unit || "" }))),
      h("div", { class: "stepper" },
        h("button", { type: "button", class: "btn round", "aria-label": t("decrease"), dataset: { step: "minus" }, onclick: () => set(Number(qty.value) - 1) }, "−"),
        qty,
        h("button", { type: "button", class: "btn round", "aria-label": t("increase"), dataset: { step: "plus" }, disabled: limit <= 0, onclick: () => set(Number(qty.value) + 1) }, "+")));
    return { part, row, set, qty };
  });
  const list = h("ul", { class: "parts" }, items.map((item) => item.row));
  const nothing = note(t("no_parts_found"));
  nothing.hidden = items.length > 0;
  const filter = () => {
    const words = search.value.toLowerCase().split(/\s+/).filter(Boolean);
    let shown = 0;
    for (const item of items) {
      item.row.hidden = !matches(item.part, words);
      shown += item.row.hidden ? 0 : 1;
    }
    nothing.hidden = shown > 0;
  };
  search.addEventListener("input", filter);
  const pick = (code) => {
    const wanted = String(code || "").trim().toLowerCase();
    const item = wanted && items.find((i) => (i.part.code || "").trim().toLowerCase() === wanted);
    if (!item) {
      return null;
    }
    const before = Number(item.qty.value);
    item.set(before + 1);
    search.value = "";
    filter();
    item.row.classList.remove("picked");
    void item.row.offsetWidth; // start the highlight again for a second scan
    item.row.classList.add("picked");
    item.row.scrollIntoView({ block: "center", behavior: "smooth" });
    const qty = Number(item.qty.value);
    return { part: item.part, qty, added: qty > before };
  };
  return {
    node: h("div", { class: "picker" }, search, list, nothing),
    search,
    lines: () => [...chosen].map(([part, qty]) => ({ part, qty })),
    count: () => [...chosen.values()].reduce((sum, qty) => sum + qty, 0),
    onChange: (listener) => listeners.push(listener),
    pick,
  };
}
