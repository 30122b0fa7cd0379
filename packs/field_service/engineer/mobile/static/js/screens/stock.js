/**
 * My stock (data-screen="stock"): what my bag holds (stock balances of the bag, read
 * through the generic records API), low stock marked, with a search.
 */

import * as data from "../data.js";
import { t } from "../i18n.js";
import { chip, h, note, screen } from "../ui.js";
import { freshness } from "./common.js";

export const live = false; // its search box keeps what is typed

export async function render({ app, title }) {
  title(t("my_stock"));
  if (!app.config.bag) {
    return screen("stock", [note(t("no_bag"))]);
  }
  const { balances, cachedAt } = await data.bag(app.config.bag.id);
  const rows = balances.filter((b) => b.part && typeof b.part === "object").map((balance) => {
    const part = balance.part;
    return h("li", { class: "part", dataset: { part: String(part.id) } },
      h("div", { class: "part-name" }, h("b", {}, part.name), h("span", { class: "muted" }, [part.code, part.model].filter(Boolean).join(" · "))),
      h("div", { class: "qty-shown" }, `${Number(balance.qty)} ${part.unit || ""}`, balance.low ? chip(t("low_stock"), "priority-high") : null));
  });
  const search = h("input", { type: "search", class: "field search", placeholder: t("search_parts"), "aria-label": t("search_parts") });
  const list = h("ul", { class: "parts" }, rows);
  search.addEventListener("input", () => {
    const words = search.value.toLowerCase().split(/\s+/).filter(Boolean);
    for (const row of rows) {
      row.hidden = !words.every((word) => row.textContent.toLowerCase().includes(word));
    }
  });
  return screen("stock", [
    freshness(cachedAt),
    h("p", { class: "hint" }, app.config.bag.name || ""),
    rows.length ? [search, list] : note(t("bag_empty")),
  ]);
}
