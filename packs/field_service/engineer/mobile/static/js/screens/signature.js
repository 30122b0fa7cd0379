/**
 * The customer's signature (data-screen="signature") with signature_pad. The strokes are
 * kept (toData) in IndexedDB as they are drawn and redrawn (fromData, scaled to the new
 * size) whenever the pad changes size — a rotation, a resize, a reload — so a signature
 * survives all of them. Saving sends the field's value: the PNG as a data URL, the
 * signer's name, the time and the strokes (in the pad's first size, see `wireStrokes`);
 * the server stores the image and its sha256, which the app compares with the hash of
 * what it sent, and the strokes beside it.
 */

import * as db from "../db.js";
import * as outbox from "../outbox.js";
import { byIds, load } from "../api.js";
import { t } from "../i18n.js";
import { h, screen, showProblem, toast } from "../ui.js";
import { announce } from "./common.js";

const LIBRARY = "/m/static/vendor/signature_pad/signature_pad.umd.min.js";
let loading = null;

function library() {
  if (!loading) {
    loading = new Promise((resolve, reject) => {
      if (window.SignaturePad) {
        resolve(window.SignaturePad);
        return;
      }
      const script = document.createElement("script");
      script.src = LIBRARY;
      script.onload = () => resolve(window.SignaturePad);
      script.onerror = () => {
        loading = null;
        reject(new Error(t("pad_unavailable")));
      };
      document.head.append(script);
    });
  }
  return loading;
}

function scaled(strokes, factor) {
  if (factor === 1) {
    return strokes;
  }
  return strokes.map((stroke) => ({
    ...stroke,
    points: stroke.points.map((p) => ({ ...p, x: p.x * factor, y: p.y * factor })),
  }));
}

// The server's bounds: a point's time, the points and strokes of one signature.
const MAX_TIME_MS = 86400000;
const MAX_POINTS = 10000;
const MAX_STROKES = 500;

/**
 * The strokes as the signature field takes them: {width, height, strokes: [[[x, y, t]]]},
 * points kept inside the pad (a stroke may leave it while the pen is down), coordinates
 * to 0.1 px, t in milliseconds since the first point. Nothing (the PNG alone) for
 * strokes beyond the server's bounds.
 */
export function wireStrokes(reference) {
  const { w, h: height } = reference || {};
  const strokes = ((reference && reference.strokes) || []).filter((s) => s.points.length);
  const points = strokes.reduce((sum, s) => sum + s.points.length, 0);
  if (!strokes.length || strokes.length > MAX_STROKES || points > MAX_POINTS) {
    return {};
  }
  const first = strokes[0].points[0].time || 0;
  const within = (value, limit) => Math.round(Math.min(Math.max(value, 0), limit) * 10) / 10;
  const when = (time) => Math.min(Math.max(Math.round((time || first) - first), 0), MAX_TIME_MS);
  return {
    width: within(w, w),
    height: within(height, height),
    strokes: strokes.map((s) => s.points.map((p) => [within(p.x, w), within(p.y, height), when(p.time)])),
  };
}

/** The hex sha256 of a data URL's bytes (null where Web Crypto is not offered: plain HTTP). */
export async function sha256(dataUrl) {
  if (!crypto.subtle) {
    return null;
  }
  const binary = atob(dataUrl.split(",", 2)[1]);
  const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
  const digest = await crypto.subtle.digest("SHA-256", bytes);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

export async function render({ app, params, title }) {
  const back = `#/task/${params.id}`;
  title(t("signature"), back);
  const SignaturePad = await library();
  const [{ data: task }, pending] = await Promise.all([load(`/api/v1/records/field_task/${params.id}`), outbox.entries()]);
  const shown = outbox.overlay(task, pending);
  const draftId = `signature:${task.id}`;
  const draft = (await db.get("drafts", draftId)) || null;
  let signerName = draft ? draft.signer : "";
  if (!draft && task.contact) {
    const contacts = await byIds("contact", [task.contact]).catch(() => new Map());
    signerName = (contacts.get(task.contact) || {}).name || "";
  }
  const canvas = h("canvas", { class: "pad-canvas", "aria-label": t("sign_here") });
  const box = h("div", { class: "pad", dataset: { strokes: "0" } }, canvas, h("span", { class: "pad-hint" }, t("sign_here")));
  const signer = h("input", { type: "text", class: "field", name: "signer", maxlength: "200", autocomplete: "name", "aria-label": t("signer") });
  signer.value = signerName;
  const pad = new SignaturePad(canvas, { backgroundColor: "rgb(255, 255, 255)", penColor: "rgb(17, 24, 39)" });
  // The strokes in the pad's first size (`reference`): each new size shows them scaled by
  // `factor`, so turning the phone back and forth never shrinks or moves the signature.
  let reference = draft && draft.width
    ? { w: draft.width, h: draft.height, strokes: draft.strokes || [] }
    : null;
  let factor = 1;
  let size = null;

  const count = () => {
    const strokes = reference ? reference.strokes : [];
    box.dataset.strokes = String(strokes.length);
    box.dataset.points = String(strokes.reduce((sum, s) => sum + s.points.length, 0));
    box.classList.toggle("signed", strokes.length > 0);
  };
  const keep = () => {
    reference.strokes = scaled(pad.toData(), 1 / factor);
    count();
    return db.put("drafts", { id: draftId, strokes: reference.strokes, width: reference.w, height: reference.h, signer: signer.value });
  };
  const fit = () => {
    const rect = canvas.getBoundingClientRect();
    if (!rect.width || !rect.height) {
      return;
    }
    if (size && Math.abs(rect.width - size.w) < 1 && Math.abs(rect.height - size.h) < 1) {
      return;
    }
    const ratio = Math.max(window.devicePixelRatio || 1, 1);
    if (!reference) {
      reference = { w: rect.width, h: rect.height, strokes: [] };
    }
    factor = Math.min(rect.width / reference.w, rect.height / reference.h);
    canvas.width = Math.round(rect.width * ratio);
    canvas.height = Math.round(rect.height * ratio);
    canvas.getContext("2d").scale(ratio, ratio);
    pad.clear();
    if (reference.strokes.length) {
      pad.fromData(scaled(reference.strokes, factor));
    }
    size = { w: rect.width, h: rect.height };
    count();
  };
  pad.addEventListener("endStroke", keep);
  signer.addEventListener("input", () => reference && keep());
  const observer = new ResizeObserver(fit);
  window.addEventListener("orientationchange", fit);

  const clear = h("button", { type: "button", class: "btn", dataset: { action: "clear" }, onclick: () => { pad.clear(); keep(); } }, t("clear"));
  const save = h("button", {
    type: "button",
    class: "btn primary big",
    dataset: { action: "save-signature" },
    onclick: async () => {
      if (pad.isEmpty()) {
        toast(t("sign_first"));
        return;
      }
      if (!signer.value.trim()) {
        toast(t("signer_needed"));
        signer.focus();
        return;
      }
      const image = pad.toDataURL("image/png");
      const hash = await sha256(image);
      const value = {
        image,
        signer: signer.value.trim(),
        signed_at: new Date().toISOString(),
        ...wireStrokes(reference),
      };
      if (hash) {
        value.sha256 = hash;
      }
      try {
        const outcome = await outbox.submit({
          kind: "patch",
          object: "field_task",
          id: task.id,
          number: task.number,
          label: t("signature"),
          version: task.version,
          fields: { customer_signature: value },
          base: { customer_signature: shown.customer_signature || null },
        });
        await db.remove("drafts", draftId);
        const stored = (outcome.data && outcome.data.customer_signature) || {};
        announce(outcome, back, hash && stored.sha256 === hash ? t("signature_verified") : null);
      } catch (error) {
        await showProblem(error, app.config.fields);
      }
    },
  }, t("save_signature"));

  const node = screen("signature", [
    h("label", { class: "label" }, t("signer")), signer,
    box,
    h("p", { class: "hint" }, t("signature_hint")),
  ], [clear, save]);
  requestAnimationFrame(() => {
    fit();
    observer.observe(canvas);
  });
  return {
    node,
    cleanup: () => {
      observer.disconnect();
      window.removeEventListener("orientationchange", fit);
      pad.off();
    },
  };
}
