/**
 * More (data-screen="more"): who is signed in, the language (kept in the user's profile,
 * PATCH /api/v1/me), what is waiting to be sent, whether the phone is being followed,
 * the full web app, and logging out.
 */

import * as outbox from "../outbox.js";
import * as tracking from "../tracking.js";
import { online, send, uuid } from "../api.js";
import { lang, t } from "../i18n.js";
import { h, screen, sheet, showProblem, toast } from "../ui.js";

const LANGUAGES = [["en", "English"], ["zh-CN", "简体中文"]];

async function switchTo(app, locale) {
  if (!online()) {
    toast(t("needs_network"));
    return;
  }
  try {
    await send("PATCH", "/api/v1/me", { json: { locale }, key: uuid() });
    location.reload();
  } catch (error) {
    await showProblem(error, app.config.fields);
  }
}

async function logOut(app) {
  const waiting = (await outbox.entries()).length;
  if (waiting) {
    const sure = await sheet({
      title: t("log_out"),
      name: "log-out",
      body: h("p", {}, t("log_out_waiting", { n: waiting })),
      actions: [{ label: t("cancel"), value: null }, { label: t("log_out"), value: "yes", danger: true }],
    });
    if (!sure) {
      return;
    }
  }
  try {
    await send("POST", "/api/v1/auth/logout", { json: {} });
  } catch (error) {
    if (!online()) {
      toast(t("needs_network"));
      return;
    }
  }
  location.assign("/app/login?next=/m/");
}

export async function render({ app, title }) {
  title(t("more"));
  const list = await outbox.entries();
  const following = tracking.status();
  const user = app.config.user;
  return screen("more", [
    h("section", { class: "card" },
      h("h2", {}, user.name),
      app.config.resource ? h("p", {}, t("resource_is", { name: app.config.resource.name || "" })) : null,
      app.config.bag ? h("p", {}, t("bag_is", { name: app.config.bag.name || "" })) : null),
    h("section", { class: "card" },
      h("h2", {}, t("language")),
      h("div", { class: "row" }, LANGUAGES.map(([code, name]) => h("button", {
        type: "button",
        class: `btn ${code === lang ? "primary" : ""}`,
        dataset: { lang: code },
        "aria-pressed": code === lang ? "true" : "false",
        onclick: () => switchTo(app, code),
      }, name)))),
    h("section", { class: "card" },
      h("h2", {}, t("sync_title")),
      h("p", {}, list.length ? t("sync_waiting", { n: list.length }) : t("all_sent")),
      h("a", { class: "btn", href: "#/sync" }, t("open_sync")),
      h("p", { class: "muted" }, following.following ? t("following_on", { awake: following.awake ? t("screen_awake") : "" }) : t("following_off")),
      h("p", { class: "muted small" }, t("device_is", { id: tracking.deviceId() }))),
    h("section", { class: "card" },
      h("a", { class: "btn", href: "/app/" }, t("full_app")),
      h("button", { type: "button", class: "btn danger", dataset: { action: "log-out" }, onclick: () => logOut(app) }, t("log_out"))),
  ]);
}
