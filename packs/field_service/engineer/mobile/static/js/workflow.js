/**
 * The field task workflow as the app shows it: one big button for the next step, smaller
 * ones for the other steps possible now, and before completing, what is still missing.
 *
 * Online, with nothing of the task waiting in the outbox, the steps are the record's
 * `_transitions` from the server, plus the conditional steps the server held back (its
 * condition does not hold yet: start before an at-site check-in, complete before parts are
 * recorded), so the engineer sees the step and, on tapping, the server's reason. Offline
 * (or with queued changes) the steps come from the workflow the app keeps (GET
 * /api/v1/fs/my/app) and the state the queued steps lead to.
 */

import { t } from "./i18n.js";

/** The happy path: the first of these that is possible is the big button. */
const PRIMARY = ["accept", "depart", "arrive", "start", "resume", "complete"];
const DONE = "done";

function blank(value) {
  return value === null || value === undefined || value === "" || value === false
    || (Array.isArray(value) && !value.length);
}

/** Transitions of the kept workflow leaving `state`. */
export function leaving(config, state) {
  return (config.workflow ? config.workflow.transitions : []).filter((tr) => tr.from.includes(state));
}

/** A state's label in the user's language. */
export function stateLabel(config, state) {
  const found = config.workflow && config.workflow.states.find((s) => s.name === state);
  return found ? found.label : state || "";
}

function fromServer(option) {
  return {
    name: option.name,
    label: option.label,
    to: option.to,
    from: [],
    require: option.missing || [],
    comment_required: option.comment_required,
    conditional: false,
    condition_message: null,
    geo: [],
    prompts: option.comment_required ? [{ field: "comment", label: option.label }] : [],
    on_record: option.missing || [],
  };
}

/**
 * {primary, secondary}: the steps possible on `record` now. `server` is the record's
 * `_transitions` when it is fresh (null otherwise).
 */
export function steps(config, record, server) {
  const local = leaving(config, record.status);
  let available = local;
  if (server) {
    const names = new Set(server.map((option) => option.name));
    available = local
      .filter((tr) => names.has(tr.name) || tr.conditional)
      .map((tr) => (names.has(tr.name) ? tr : { ...tr, held: true }));
    for (const option of server) {
      if (!local.some((tr) => tr.name === option.name)) {
        available.push(fromServer(option));
      }
    }
  }
  const rank = (tr) => (PRIMARY.includes(tr.name) ? PRIMARY.indexOf(tr.name) : PRIMARY.length);
  const ordered = [...available].sort((a, b) => rank(a) - rank(b));
  const primary = ordered.find((tr) => PRIMARY.includes(tr.name)) || null;
  return { primary, secondary: ordered.filter((tr) => tr !== primary) };
}

/** The step from the record's state that finishes the work (into a "done" state). */
export function finishing(config, record) {
  const states = config.workflow ? config.workflow.states : [];
  const done = new Set(states.filter((s) => s.category === DONE).map((s) => s.name));
  return leaving(config, record.status).find((tr) => done.has(tr.to)) || null;
}

/** The screen where a field of the task is filled. */
export function screenFor(config, field) {
  const type = (config.fields[field] || {}).type;
  if (type === "signature") {
    return "signature";
  }
  if (type === "attachment") {
    return "photos";
  }
  return "notes";
}

/**
 * What the finishing step still needs: [{id, label, done, screen}] — each field it
 * requires, and the parts rule (parts consumed, or "no parts used") when the workflow's
 * condition is the pack's parts rule. `consumed` counts posted consumptions of the task.
 */
export function checklist(config, record, consumed) {
  const step = finishing(config, record);
  if (!step) {
    return [];
  }
  const items = step.require.map((field) => ({
    id: field,
    label: (config.fields[field] || {}).label || field,
    done: !blank(record[field]),
    screen: screenFor(config, field),
  }));
  if (step.conditional && config.fields.no_parts_used) {
    items.push({
      id: "parts",
      label: t("check_parts"),
      done: Boolean(record.no_parts_used) || consumed > 0 || record._parts > 0,
      screen: "parts",
    });
  }
  return items;
}
