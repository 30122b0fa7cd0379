/**
 * The grab pool, 抢单 (data-screen="pool"): tasks the assignment rules published to me
 * (GET /api/v1/pool/field_task, e.g. by the field_task_pool rule), nearest first from the
 * phone's position; "grab" claims one (POST /api/v1/records/field_task/<id>/claim). The
 * first claim wins, so claiming needs a connection and is never queued.
 */

import { ApiError, online, send, uuid } from "../api.js";
import * as data from "../data.js";
import { distanceM, fix } from "../geo.js";
import { distance, t } from "../i18n.js";
import { h, note, screen, showProblem, toast } from "../ui.js";
import { freshness, priorityChip, whenText } from "./common.js";

export const live = true;

async function claim(app, record) {
  if (!online()) {
    toast(t("claim_needs_network"));
    return;
  }
  try {
    await send("POST", `/api/v1/records/field_task/${record.id}/claim`, { key: uuid() });
    toast(t("claimed", { number: record.number }));
    location.hash = `#/task/${record.id}`;
  } catch (error) {
    if (error instanceof ApiError && error.status === 409) {
      toast(t("claimed_by_other"));
      app.refresh();
      return;
    }
    await showProblem(error, app.config.fields);
  }
}

export async function render({ app, title }) {
  title(t("pool"));
  const [loaded, here] = await Promise.all([data.pool(), fix({ timeout: 6000, maximumAge: 120000 }).catch(() => null)]);
  const rows = loaded.items.map((item) => {
    const record = item.record;
    const site = loaded.sites.get(record.site) || null;
    return { record, site, metres: distanceM(here, record.location || (site && site.location)) };
  });
  rows.sort((a, b) => (a.metres ?? Infinity) - (b.metres ?? Infinity));
  const cards = rows.map(({ record, site, metres }) => {
    const customer = site ? loaded.customers.get(site.customer) : null;
    return h("article", { class: "card task-card", dataset: { poolTask: String(record.id) } },
      h("div", { class: "card-main" },
        h("div", { class: "card-head" }, h("b", {}, record.number), priorityChip(record.priority), h("span", { class: "when" }, whenText(record))),
        h("div", { class: "who" }, customer ? customer.name : record.description || ""),
        h("div", { class: "where" }, site ? [site.name, site.address].filter(Boolean).join(" · ") : t("no_site")),
        h("div", { class: "meta" }, metres == null ? t("distance_unknown") : t("away", { d: distance(metres) }))),
      h("div", { class: "card-actions" },
        h("button", { type: "button", class: "btn primary", dataset: { action: "claim" }, onclick: () => claim(app, record) }, t("grab"))));
  });
  return screen("pool", [
    freshness(loaded.cachedAt),
    here ? null : note(t("distance_without_gps"), "hint"),
    cards.length ? h("div", { class: "cards" }, cards) : note(t("pool_empty")),
  ], [h("button", { type: "button", class: "btn refresh", dataset: { action: "refresh" }, onclick: () => app.refresh() }, "↻ ", t("refresh"))]);
}
