/**
 * Changes that need the engineer (data-screen="conflict"), and those waiting to be sent.
 *
 * - A field someone else changed too: mine and theirs side by side, per field; keep mine
 *   (editable, for text) or take theirs, then apply.
 * - A step the task's state no longer allows (it was cancelled or reassigned meanwhile):
 *   discard it or try again.
 * - A change the server refused: its explanation as sent, then try again or discard (a
 *   step refused for its time goes again with the server's time).
 * Nothing is dropped without the engineer's decision.
 */

import * as outbox from "../outbox.js";
import { ApiError, online } from "../api.js";
import { dateTime, t } from "../i18n.js";
import { stateLabel } from "../workflow.js";
import { h, note, problemView, screen, toast } from "../ui.js";

export const live = false;

function fieldLabel(app, name) {
  return (app.config.fields[name] || {}).label || name;
}

function valueView(value, editable) {
  if (value && typeof value === "object" && (value.image || value.file)) {
    return h("img", { class: "signature", src: value.image || `/api/v1/files/${encodeURIComponent(value.file)}`, alt: t("signature") });
  }
  if (editable) {
    const area = h("textarea", { class: "field", rows: 4 });
    area.value = value == null ? "" : String(value);
    return area;
  }
  if (value === true || value === false) {
    return h("p", {}, t(value ? "yes" : "no"));
  }
  return h("p", { class: "text" }, value == null || value === "" ? "—" : String(value));
}

function clashView(app, clash) {
  const text = typeof clash.mine === "string" || clash.mine === null;
  const mine = valueView(clash.mine, text);
  const choice = { pick: "mine", read: () => (text ? mine.value : clash.mine) };
  const options = ["mine", "theirs"].map((side) => {
    const radio = h("input", { type: "radio", name: `clash-${clash.name}`, value: side, checked: side === "mine", onchange: () => { choice.pick = side; } });
    return h("label", { class: "choice", dataset: { choose: side } }, radio, h("span", {}, t(side === "mine" ? "keep_mine" : "take_theirs")));
  });
  const node = h("div", { class: "clash", dataset: { field: clash.name } },
    h("h3", {}, fieldLabel(app, clash.name)),
    h("div", { class: "sides" },
      h("div", { class: "side mine" }, h("h4", {}, t("mine")), mine),
      h("div", { class: "side theirs" }, h("h4", {}, t("theirs")), valueView(clash.theirs, false))),
    h("div", { class: "row" }, options));
  return { node, choice, clash };
}

function entryTitle(entry) {
  return `${entry.number || `#${entry.id}`} · ${entry.label || entry.kind}`;
}

function fieldConflict(app, entry, done) {
  const views = entry.clashes.map((clash) => clashView(app, clash));
  const apply = async () => {
    const fields = { ...entry.fields };
    const base = { ...entry.base };
    for (const { choice, clash } of views) {
      if (choice.pick === "mine") {
        const value = choice.read();
        fields[clash.name] = typeof value === "string" ? value.trim() || null : value;
      } else {
        delete fields[clash.name];
      }
      base[clash.name] = clash.theirs;
    }
    if (!Object.keys(fields).length) {
      await outbox.discard(entry.seq);
    } else {
      await outbox.retry(entry.seq, { fields, base, version: entry.version });
    }
    toast(online() ? t("saved") : t("queued_offline"));
    done();
  };
  return h("article", { class: "card conflict", dataset: { seq: String(entry.seq), kind: "fields" } },
    h("h2", {}, entryTitle(entry)),
    h("p", { class: "hint" }, t("conflict_hint")),
    views.map((view) => view.node),
    h("button", { type: "button", class: "btn primary big", dataset: { action: "apply" }, onclick: apply }, t("apply_choice")));
}

function otherProblem(app, entry, done) {
  // A step whose time the server refused (the phone's clock, or too long offline) goes
  // again with the server's time: the engineer decided so.
  const errors = (entry.problem && entry.problem.body && entry.problem.body.errors) || {};
  const retry = async () => {
    await outbox.retry(entry.seq, "occurred_at" in errors ? { occurred_at: null } : {});
    done();
  };
  const discard = async () => {
    await outbox.discard(entry.seq);
    done();
  };
  const state = entry.theirs && entry.field ? entry.theirs[entry.field] : null;
  return h("article", { class: "card conflict", dataset: { seq: String(entry.seq), kind: entry.state } },
    h("h2", {}, entryTitle(entry)),
    state ? h("p", { class: "problem" }, t("state_moved", { state: stateLabel(app.config, state) })) : null,
    entry.problem ? problemView(new ApiError(entry.problem.status, entry.problem.body), app.config.fields) : null,
    h("div", { class: "row" },
      h("button", { type: "button", class: "btn danger", dataset: { action: "discard" }, onclick: discard }, t("discard")),
      h("button", { type: "button", class: "btn primary", dataset: { action: "retry" }, onclick: retry }, t("try_again"))));
}

export async function render({ app, title }) {
  title(t("sync_title"), "#/day");
  const list = await outbox.entries();
  const redraw = () => app.refresh();
  const problems = list.filter((e) => e.state !== "queued");
  const waiting = list.filter((e) => e.state === "queued");
  const body = [
    h("h2", { class: "section-title" }, t("needs_you")),
    problems.length ? problems.map((entry) => (entry.clashes ? fieldConflict(app, entry, redraw) : otherProblem(app, entry, redraw))) : note(t("nothing_needs_you")),
    h("h2", { class: "section-title" }, t("waiting_list")),
    waiting.length ? h("ul", { class: "waiting" }, waiting.map((e) => h("li", { dataset: { seq: String(e.seq) } }, entryTitle(e), " · ", dateTime(e.created)))) : note(t("all_sent")),
  ];
  const dock = [
    h("button", { type: "button", class: "btn primary big", dataset: { action: "send-now" }, disabled: !waiting.length,
      onclick: async () => { await outbox.flush(); redraw(); } }, t("send_now")),
  ];
  return screen("conflict", body, dock);
}
