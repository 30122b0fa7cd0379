/**
 * Building blocks of the screens: elements, bottom sheets (questions, choices, problems),
 * short notices, and the server's problems shown as it sent them.
 */

import { ApiError, Offline } from "./api.js";
import { t } from "./i18n.js";

/**
 * An element: h("button", {class: "big", onclick: fn, dataset: {transition: "accept"}},
 * "text", child, …). Attributes named on… are listeners; null/false children are skipped.
 */
export function h(tag, props = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(props || {})) {
    if (value === null || value === undefined || value === false) {
      continue;
    }
    if (name.startsWith("on") && typeof value === "function") {
      element.addEventListener(name.slice(2), value);
    } else if (name === "dataset") {
      Object.assign(element.dataset, value);
    } else if (name === "class") {
      element.className = value;
    } else if (name in element && typeof value !== "string") {
      element[name] = value;
    } else {
      element.setAttribute(name, value === true ? "" : value);
    }
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) {
      continue;
    }
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** The screen's root: <section data-screen=name> with a scrolling body and a bottom dock. */
export function screen(name, body, dock = []) {
  return h("section", { class: "screen", dataset: { screen: name } },
    h("div", { class: "body" }, body),
    h("div", { class: "dock" }, dock));
}

/** Set the title bar (and whether it has a back button). */
export function titled(title, back = null) {
  document.getElementById("m-title").textContent = title;
  const button = document.getElementById("m-back");
  button.hidden = !back;
  button.onclick = back ? () => { location.hash = back; } : null;
}

let toastTimer = null;

/** A short notice at the bottom of the screen. */
export function toast(message) {
  const box = document.getElementById("m-toast");
  box.textContent = message;
  box.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { box.hidden = true; }, 3500);
}

/** A problem's messages as the server sent them: detail, then each field's errors. */
export function problemView(error, labels = {}) {
  if (error instanceof Offline) {
    return h("div", { class: "problem", role: "alert" }, h("p", {}, t("offline_needed")));
  }
  const problem = error instanceof ApiError ? error.problem : { detail: String(error.message || error) };
  const errors = Object.entries(problem.errors || {});
  return h("div", { class: "problem", role: "alert", dataset: { status: String(error.status || "") } },
    h("p", { class: "detail" }, problem.detail || problem.title || t("failed")),
    errors.length ? h("ul", {}, errors.map(([field, messages]) =>
      h("li", {}, h("b", {}, (labels[field] && labels[field].label) || field), ": ", [].concat(messages).join(" ")))) : null);
}

/**
 * A bottom sheet: resolves with the value of the action tapped (null when dismissed).
 * `actions`: [{label, value, primary, danger, dataset}]; `body`: nodes; `read()` is
 * called for an action with `read: true` and its result resolved instead.
 */
export function sheet({ title, body = [], actions = [], name = "sheet" }) {
  const backdrop = document.getElementById("m-sheet");
  return new Promise((resolve) => {
    const close = (value) => {
      backdrop.hidden = true;
      backdrop.replaceChildren();
      resolve(value);
    };
    const buttons = actions.map((action) => h("button", {
      type: "button",
      class: `btn ${action.primary ? "primary" : ""} ${action.danger ? "danger" : ""}`,
      dataset: { action: action.value === null ? "cancel" : String(action.value), ...(action.dataset || {}) },
      onclick: () => close(action.read ? action.read() : action.value),
    }, action.label));
    const panel = h("div", { class: "sheet", role: "dialog", "aria-modal": "true", dataset: { sheet: name } },
      title ? h("h2", {}, title) : null, body, h("div", { class: "sheet-actions" }, buttons));
    backdrop.replaceChildren(panel);
    backdrop.hidden = false;
    backdrop.onclick = (event) => {
      if (event.target === backdrop) {
        close(null);
      }
    };
    const first = panel.querySelector("textarea, input");
    if (first) {
      first.focus();
    }
  });
}

/** Ask for a text (a reason, a parts note); null when cancelled. Keeps `value` typed. */
export async function ask({ title, label, value = "", required = true, onInput = null, confirm = null }) {
  const input = h("textarea", { class: "field", rows: 4, "aria-label": label, oninput: () => onInput && onInput(input.value) });
  input.value = value;
  const hint = h("p", { class: "hint", hidden: true }, t("required_answer"));
  for (;;) {
    const answer = await sheet({
      title,
      name: "ask",
      body: [h("label", { class: "label" }, label), input, hint],
      actions: [
        { label: t("cancel"), value: null },
        { label: confirm || t("ok"), value: "ok", primary: true, read: () => input.value },
      ],
    });
    if (answer === null || !required || answer.trim()) {
      return answer;
    }
    hint.hidden = false;
  }
}

/** Show a problem in a sheet (with more nodes below it); resolves when dismissed. */
export function showProblem(error, labels = {}, more = []) {
  return sheet({ title: t("not_done"), name: "problem", body: [problemView(error, labels), more], actions: [{ label: t("ok"), value: "ok", primary: true }] });
}

/** A chip: a small coloured label. */
export function chip(text, kind = "") {
  return h("span", { class: `chip ${kind}` }, text);
}

/** An empty-state or notice paragraph. */
export function note(text, kind = "empty") {
  return h("p", { class: kind }, text);
}
