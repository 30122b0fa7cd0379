/**
 * A task (data-screen="task"): customer, site, asset and its last visits, description,
 * required skills and parts, photos, notes, signature, the latest check-in; one big button
 * for the next step of the workflow (data-transition="<name>") and smaller ones for the
 * other steps possible now; before completing, a checklist of what is still missing, each
 * item a tap away. Opened, it shows the task kept on the phone when the network is slow,
 * and draws it again when the network's answer differs.
 */

import * as outbox from "../outbox.js";
import { load, online, quickly } from "../api.js";
import * as data from "../data.js";
import { dateTime, distance, t } from "../i18n.js";
import { checkInAgain, fireStep, notAtSite } from "../steps.js";
import { checklist, stateLabel, steps } from "../workflow.js";
import { chip, h, note, screen, sheet } from "../ui.js";
import { callButton, freshness, navigateButton, priorityChip, slaText, statusChip, whenText } from "./common.js";

export const live = true;

function section(title, ...content) {
  return h("section", { class: "card" }, h("h2", {}, title), content);
}

function line(label, value) {
  return value ? h("p", { class: "line" }, h("span", { class: "muted" }, label, ": "), value) : null;
}

function fileUrl(id) {
  return `/api/v1/files/${encodeURIComponent(id)}`;
}

function people(info) {
  const { customer, contact, site, workOrder, record } = info;
  const phone = (contact && contact.phone) || (workOrder && workOrder.contact_phone) || (customer && customer.phone);
  const place = record.location || (site && site.location);
  return [
    section(t("customer"),
      h("p", { class: "big-text" }, customer ? customer.name : "—"),
      line(t("contact"), (contact && contact.name) || (workOrder && workOrder.contact_name)),
      h("div", { class: "row" }, callButton(phone))),
    section(t("site"),
      h("p", { class: "big-text" }, site ? site.name : t("no_site")),
      line(t("address"), site && [site.address, site.district].filter(Boolean).join(" · ")),
      h("div", { class: "row" }, navigateButton(place, site ? site.name : record.number))),
  ];
}

function asset(info) {
  if (!info.asset) {
    return null;
  }
  const a = info.asset;
  return section(t("asset"),
    h("p", { class: "big-text" }, [a.product, a.number].filter(Boolean).join(" · ")),
    line(t("serial"), a.serial),
    line(t("warranty_end"), a.warranty_end),
    info.visits.length ? h("div", {}, h("h3", {}, t("last_visits")), h("ul", { class: "visits" }, info.visits.map((w) =>
      h("li", {}, h("b", {}, w.number), " ", w.subject || "", " · ", dateTime(w.completed_at || w.created_at))))) : note(t("no_visits")));
}

function work(app, info, record) {
  const used = info.used.filter((m) => m.status === "posted");
  return [
    section(t("description"), h("p", { class: "text" }, record.description || "—")),
    info.skills.length ? section(t("skills"), h("div", { class: "chips" }, info.skills.map((s) => chip(t("skill_level", { name: s.name, level: s.level ?? "" }))))) : null,
    section(t("parts"),
      line(t("parts_note"), record.parts_note),
      used.length ? h("ul", { class: "used" }, used.map((m) => h("li", {}, `${(m.part && m.part.name) || m.part} × ${m.qty}`))) : null,
      record._parts ? h("p", { class: "queued" }, t("parts_waiting", { n: record._parts })) : null,
      record.no_parts_used ? h("p", {}, "✓ ", t("no_parts_used")) : null,
      h("div", { class: "row" },
        h("a", { class: "btn", href: `#/task/${record.id}/parts`, dataset: { action: "parts" } }, t("use_parts")),
        h("a", { class: "btn", href: `#/task/${record.id}/requisition`, dataset: { action: "requisition" } }, t("request_parts")))),
  ];
}

function photos(record) {
  const saved = Array.isArray(record.photos) ? record.photos : [];
  const thumbs = [
    ...saved.map((id) => h("img", { class: "thumb", src: fileUrl(id), alt: t("photo"), loading: "lazy" })),
    ...record._photos.map((entry) => h("img", { class: "thumb queued", src: URL.createObjectURL(entry.blob), alt: t("photo") })),
  ];
  return section(t("photos"),
    thumbs.length ? h("div", { class: "thumbs" }, thumbs) : note(t("no_photos")),
    h("a", { class: "btn", href: `#/task/${record.id}/photos`, dataset: { action: "photos" } }, t("add_photos")));
}

function notesAndSignature(record) {
  const signed = record.customer_signature;
  let signature = note(t("not_signed"));
  if (signed && (signed.file || signed.image)) {
    signature = h("figure", { class: "signed" },
      h("img", { class: "signature", src: signed.image || fileUrl(signed.file), alt: t("signature") }),
      h("figcaption", {}, t("signed_by", { name: signed.signer || "", when: dateTime(signed.signed_at) })));
  }
  return [
    section(t("notes_and_work"),
      line(t("notes"), record.notes),
      line(t("work_done"), record.resolution),
      !record.notes && !record.resolution ? note(t("nothing_written")) : null,
      h("a", { class: "btn", href: `#/task/${record.id}/notes`, dataset: { action: "notes" } }, t("edit_notes"))),
    section(t("signature"), signature,
      h("a", { class: "btn", href: `#/task/${record.id}/signature`, dataset: { action: "signature" } }, t(signed ? "sign_again" : "get_signature"))),
  ];
}

function checkInCard(app, info, record) {
  const latest = info.checkIns[0];
  if (!latest) {
    return null;
  }
  const atSite = info.checkIns.some((c) => c.at_site);
  const arrived = record.status === "arrived";
  return section(t("check_in"),
    h("p", { class: latest.at_site ? "ok" : "problem", dataset: { checkIn: latest.at_site ? "at-site" : "away" } },
      latest.at_site ? "✓ " : "✗ ",
      latest.distance_m == null ? t("no_site_location") : t(latest.at_site ? "checked_in_near" : "checked_in_away", { d: distance(Number(latest.distance_m)), when: dateTime(latest.checked_in_at) })),
    !atSite && arrived ? h("div", { class: "row" },
      h("button", { type: "button", class: "btn", dataset: { action: "why" }, onclick: () => notAtSite(app, latest, latest.location) }, t("why")),
      h("button", { type: "button", class: "btn", dataset: { action: "check-in-again" }, onclick: async () => { await checkInAgain(app, record); app.refresh(); } }, t("check_in_again"))) : null);
}

function checklistCard(items, record) {
  if (!items.length) {
    return null;
  }
  return h("section", { class: "card checklist", dataset: { checklist: "complete" } },
    h("h2", {}, t("before_complete")),
    h("ul", {}, items.map((item) => h("li", { class: item.done ? "done" : "missing" },
      h("a", { href: `#/task/${record.id}/${item.screen}`, dataset: { check: item.id, done: item.done ? "1" : "0" } },
        h("span", { class: "tick" }, item.done ? "✓" : "○"), item.label)))));
}

async function tapStep(app, record, step, items) {
  const missing = items.filter((item) => !item.done);
  if (step.name === "complete" && missing.length) {
    const go = await sheet({
      title: t("still_missing"),
      name: "missing",
      body: h("ul", { class: "missing-list" }, missing.map((item) => h("li", {}, item.label))),
      actions: [{ label: t("close"), value: null }, { label: missing[0].label, value: missing[0].screen, primary: true }],
    });
    if (go) {
      location.hash = `#/task/${record.id}/${go}`;
    }
    return;
  }
  if (await fireStep(app, record, step)) {
    app.refresh();
  }
}

function stepButtons(app, record, found, items) {
  const { primary, secondary } = found;
  const incomplete = primary && primary.name === "complete" && items.some((item) => !item.done);
  const small = secondary.map((step) => h("button", {
    type: "button",
    class: `btn step ${step.name === "reject" ? "danger" : ""}`,
    dataset: { transition: step.name },
    onclick: () => tapStep(app, record, step, items),
  }, step.label));
  return [
    small.length ? h("div", { class: "row steps" }, small) : null,
    primary ? h("button", {
      type: "button",
      class: `btn primary big step ${incomplete ? "incomplete" : ""}`,
      dataset: { transition: primary.name },
      "aria-disabled": incomplete ? "true" : null,
      onclick: () => tapStep(app, record, primary, items),
    }, primary.label) : h("p", { class: "final" }, stateLabel(app.config, record.status)),
    primary || small.length ? null : h("a", { class: "btn primary big", href: "#/day", dataset: { action: "back-to-day" } }, t("back_to_day")),
  ];
}

/** The screen from a read of the task. */
async function draw(app, info, fromPhone) {
  const pending = await outbox.entries();
  const record = outbox.overlay(info.record, pending);
  const fresh = !info.cachedAt && !record._queued && online();
  const found = steps(app.config, record, fresh ? info.record._transitions || [] : null);
  const consumed = info.used.filter((m) => m.status === "posted").length;
  const items = checklist(app.config, record, consumed);
  const body = [
    fromPhone ? data.refreshing(info.cachedAt) : freshness(info.cachedAt),
    record._problems ? h("a", { class: "banner-inline", href: "#/sync" }, t("needs_decision")) : null,
    record._queued ? h("p", { class: "queued" }, t("changes_waiting", { n: record._queued })) : null,
    h("header", { class: "task-head" },
      h("div", { class: "chips" }, statusChip(app.config, record.status), priorityChip(record.priority), info.sla ? slaText(info.sla) : null),
      h("p", { class: "when" }, whenText(record))),
    checklistCard(items, record),
    checkInCard(app, info, record),
    people(info),
    asset(info),
    work(app, info, record),
    photos(record),
    notesAndSignature(record),
  ];
  const node = screen("task", body, stepButtons(app, record, found, items));
  node.dataset.view = String(info.record.id);
  return { node, record };
}

export async function render({ app, params, title }) {
  const read = (get) => data.task(params.id, get);
  // Drawn again where it stands (after a step, back online): the network first. Opened:
  // the phone's copy when the network is slow, refreshed when the network answers.
  const again = document.querySelector(`#m-main > [data-screen="task"][data-view="${Number(params.id)}"]`);
  const { now, later } = again ? { now: await read(load), later: null } : await quickly(read);
  const { node, record } = await draw(app, now, Boolean(later));
  title(record.number || t("task"), "#/day");
  if (later) {
    data.revalidate(app, node, later, async (loaded) => (await draw(app, loaded, false)).node);
  }
  return node;
}
