/**
 * Firing a workflow step from the phone: ask what the step needs (a reason, a parts note),
 * take a GPS fix where it has geo inputs (arrive: arrival_location + arrival_accuracy, one
 * tap), stamp every step with a location point (sent to the track at once when online),
 * and queue the step in the outbox (sent at once when online) with the time of the tap as
 * its `occurred_at`, so a step done offline keeps its real time when it is sent later.
 * After an arrival, and when the server refuses a step for the check-in, the engineer sees
 * the distance rule and the nearest check-in targets.
 */

import * as db from "./db.js";
import * as outbox from "./outbox.js";
import * as tracking from "./tracking.js";
import { ApiError, Offline, load, online } from "./api.js";
import { GeoError, fix } from "./geo.js";
import { distance, t } from "./i18n.js";
import { ask, h, note, sheet, showProblem, toast } from "./ui.js";

const RECENT_MS = 10000;

/**
 * Where the phone is now, for a check-in: while following the phone (en route) its newest
 * position when it is a few seconds old, else a fresh fix.
 */
function positionNow() {
  const recent = tracking.latest(RECENT_MS);
  return recent ? Promise.resolve(recent) : fix();
}

/** Why no fix: a sentence for the engineer. */
export function geoProblem(error) {
  const code = error instanceof GeoError ? error.code : "unavailable";
  return t(`geo_${code}`);
}

async function prompted(record, step) {
  const values = {};
  let comment = null;
  for (const prompt of step.prompts) {
    const draftId = `ask:${record.id}:${step.name}:${prompt.field}`;
    const draft = await db.get("drafts", draftId);
    const present = prompt.field === "comment" ? "" : record[prompt.field];
    if (prompt.field !== "comment" && present && String(present).trim()) {
      continue; // already on the record (e.g. the work done, before completing)
    }
    const answer = await ask({
      title: step.label,
      label: prompt.field === "comment" ? t("reason") : prompt.label,
      value: draft ? draft.value : present || "",
      confirm: step.label,
      onInput: (value) => db.put("drafts", { id: draftId, value }),
    });
    if (answer === null) {
      return null;
    }
    if (prompt.field === "comment") {
      comment = answer.trim();
    } else {
      values[prompt.field] = answer.trim();
    }
  }
  return { values, comment };
}

async function forget(record, step) {
  for (const prompt of step.prompts) {
    await db.remove("drafts", `ask:${record.id}:${step.name}:${prompt.field}`);
  }
}

/** The nearest sites and my open tasks around a fix (online only), as a list. */
export async function targetsView(here) {
  if (!here || !online()) {
    return note(t("targets_offline"));
  }
  try {
    const { data } = await load(`/api/v1/fs/check-in/targets?lat=${here.lat}&lng=${here.lng}`);
    const rows = data.data.slice(0, 6).map((target) => h("li", { dataset: { target: `${target.object}:${target.id}` } },
      h("b", {}, target.title || `#${target.id}`), " ",
      h("span", { class: "muted" }, t(`target_${target.object}`)), " · ", distance(target.distance_m)));
    return h("div", { class: "targets" }, h("h3", {}, t("nearest_targets")), rows.length ? h("ul", {}, rows) : note(t("no_targets")));
  } catch (error) {
    return note(t("targets_offline"));
  }
}

/** After an arrival: was it at the site? If not, the rule and the nearest targets. */
export async function reportCheckIn(app, taskId, here) {
  let latest = null;
  try {
    const { data } = await load(`/api/v1/records/check_in?field_task=${taskId}&sort=-checked_in_at&limit=1`);
    latest = data.data[0] || null;
  } catch (error) {
    return;
  }
  if (!latest) {
    return;
  }
  if (latest.at_site) {
    toast(t("checked_in_at_site", { d: distance(Number(latest.distance_m)) }));
    return;
  }
  await notAtSite(app, latest, here);
}

/** The check-in did not count: how far, the rule, and where the engineer could check in. */
export async function notAtSite(app, checkIn, here) {
  const radius = app.config.settings.check_in_radius_m;
  const start = app.config.workflow.transitions.find((tr) => tr.name === "start");
  await sheet({
    title: t("not_at_site_title"),
    name: "not-at-site",
    body: [
      h("p", { class: "problem" }, checkIn.distance_m == null ? t("no_site_location") : t("not_at_site", { d: distance(Number(checkIn.distance_m)), r: radius })),
      start && start.condition_message ? h("p", {}, start.condition_message) : null,
      await targetsView(here),
    ],
    actions: [{ label: t("ok"), value: "ok", primary: true }],
  });
}

/** Check in again at the task from the phone's position (a new check-in record). */
export async function checkInAgain(app, record) {
  let position;
  try {
    position = await positionNow();
  } catch (error) {
    await sheet({ title: t("check_in_again"), body: [h("p", { class: "problem" }, geoProblem(error))], actions: [{ label: t("ok"), value: "ok", primary: true }] });
    return;
  }
  tracking.addPoint(position);
  const change = {
    kind: "post",
    object: "field_task",
    id: record.id,
    url: "/api/v1/records/check_in",
    label: t("check_in_again"),
    number: record.number,
    body: {
      resource: app.config.resource.id,
      field_task: record.id,
      location: { lat: position.lat, lng: position.lng },
      accuracy_m: position.accuracy,
      checked_in_at: position.at,
    },
  };
  try {
    const outcome = await outbox.submit(change);
    if (outcome.state === "sent") {
      if (outcome.data.at_site) {
        toast(t("checked_in_at_site", { d: distance(Number(outcome.data.distance_m)) }));
      } else {
        await notAtSite(app, outcome.data, position);
      }
    } else {
      toast(t("queued_offline"));
    }
  } catch (error) {
    await showProblem(error, app.config.fields);
  }
}

/**
 * Fire `step` on the task `record`; resolves when done (sent or queued) or abandoned:
 * true when the task's screen should be drawn again (false when abandoned, refused, or
 * when the step took the task away and the app went back to the day).
 */
export async function fireStep(app, record, step) {
  const tapped = new Date().toISOString(); // when the engineer did the step
  const asked = await prompted(record, step);
  if (!asked) {
    return false;
  }
  const { values, comment } = asked;
  let position = null;
  if (step.geo.length) {
    toast(t("locating"));
    try {
      position = await positionNow();
    } catch (error) {
      await sheet({ title: step.label, name: "no-fix", body: [h("p", { class: "problem" }, geoProblem(error))], actions: [{ label: t("ok"), value: "ok", primary: true }] });
      return false;
    }
    for (const geo of step.geo) {
      values[geo.field] = { lat: position.lat, lng: position.lng };
      if (geo.accuracy) {
        values[geo.accuracy] = position.accuracy;
      }
    }
    tracking.addPoint(position).then(tracking.sendPoints);
  } else {
    fix({ timeout: 8000, maximumAge: 60000 })
      .then((position) => tracking.addPoint(position))
      .then(() => tracking.sendPoints())
      .catch(() => {}); // no fix: the step goes without its stamp
  }
  const change = {
    kind: "transition",
    object: "field_task",
    id: record.id,
    name: step.name,
    to: step.to,
    field: app.config.workflow.field,
    values,
    comment,
    occurred_at: tapped,
    label: step.label,
    number: record.number,
  };
  try {
    const outcome = await outbox.submit(change);
    await forget(record, step);
    if (outcome.state === "sent" && outcome.data && !("version" in outcome.data)) {
      toast(t("step_done", { step: step.label }));
      location.hash = "#/day"; // the task is no longer mine (rejected, reassigned)
      return false;
    }
    if (outcome.state === "sent") {
      toast(t("step_done", { step: step.label }));
      if (step.geo.length) {
        await reportCheckIn(app, record.id, position);
      }
    } else if (outcome.state === "queued") {
      toast(t("queued_offline"));
    }
    app.follow();
    return true;
  } catch (error) {
    if (error instanceof Offline) {
      toast(t("queued_offline"));
      return true;
    }
    let more = null;
    if (error instanceof ApiError && step.conditional && step.name === "start") {
      let position = null;
      try {
        position = await fix({ timeout: 8000 });
      } catch (ignored) {
        position = null;
      }
      more = await targetsView(position);
    }
    await showProblem(error, app.config.fields, more);
    return false;
  }
}
