/**
 * Photos of a task (data-screen="photos"): the camera (input capture=environment), each
 * photo compressed in the browser to at most 500 KB (JPEG through a canvas, which also
 * drops the original's metadata such as its GPS tags), queued in the outbox with the
 * photo itself, uploaded in 64 KB chunks through /api/v1/uploads (uploads.js) and added to
 * the task's photos. An upload that was cut off goes on from the bytes the server has (the
 * outbox keeps the upload id); one that got through is attached, not sent twice (the
 * outbox keeps its file id). Each photo's row shows how much of it has gone up.
 */

import * as outbox from "../outbox.js";
import { load, uuid } from "../api.js";
import { t } from "../i18n.js";
import { h, note, screen, showProblem, toast } from "../ui.js";

export const LIMIT_BYTES = 500 * 1024;
const LONGEST_SIDE = 1600;

async function decode(file) {
  if (window.createImageBitmap) {
    try {
      return await createImageBitmap(file, { imageOrientation: "from-image" });
    } catch (error) {
      // fall back to an <img> below
    }
  }
  const url = URL.createObjectURL(file);
  try {
    const image = new Image();
    image.src = url;
    await image.decode();
    return image;
  } finally {
    URL.revokeObjectURL(url);
  }
}

function toBlob(canvas, quality) {
  return new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", quality));
}

/** A photo as a JPEG of at most `limit` bytes (smaller sides, then lower quality). */
export async function compress(file, limit = LIMIT_BYTES) {
  const image = await decode(file);
  const width = image.width || image.naturalWidth;
  const height = image.height || image.naturalHeight;
  let side = LONGEST_SIDE;
  let quality = 0.82;
  for (let round = 0; round < 12; round += 1) {
    const scale = Math.min(1, side / Math.max(width, height));
    const canvas = document.createElement("canvas");
    canvas.width = Math.max(1, Math.round(width * scale));
    canvas.height = Math.max(1, Math.round(height * scale));
    const context = canvas.getContext("2d");
    context.fillStyle = "#fff";
    context.fillRect(0, 0, canvas.width, canvas.height);
    context.drawImage(image, 0, 0, canvas.width, canvas.height);
    const blob = await toBlob(canvas, quality);
    if (blob && blob.size <= limit) {
      return blob;
    }
    if (quality > 0.5) {
      quality -= 0.12;
    } else {
      side = Math.round(side * 0.75);
    }
  }
  throw new Error(t("photo_too_big"));
}

function kilobytes(bytes) {
  return t("kilobytes", { n: Math.round(bytes / 1024) });
}

export async function render({ app, params, title }) {
  const back = `#/task/${params.id}`;
  title(t("photos"), back);
  const [{ data: task }, pending] = await Promise.all([load(`/api/v1/records/field_task/${params.id}`), outbox.entries()]);
  const shown = outbox.overlay(task, pending);
  const saved = Array.isArray(shown.photos) ? shown.photos : [];
  const urls = [];
  const thumbs = h("div", { class: "thumbs" },
    saved.map((id) => h("img", { class: "thumb", src: `/api/v1/files/${encodeURIComponent(id)}`, alt: t("photo"), dataset: { file: id } })),
    shown._photos.map((entry) => {
      const url = URL.createObjectURL(entry.blob);
      urls.push(url);
      return h("img", { class: "thumb queued", src: url, alt: t("photo"), dataset: { queued: String(entry.seq) } });
    }));
  const status = h("ul", { class: "uploads" });
  const going = new Map(); // the photo's ref → its row and size, while it goes up
  const unwatch = outbox.watchUploads((entry, sent) => {
    const shown = going.get(entry.ref);
    if (shown) {
      shown.row.dataset.sent = String(sent);
      shown.progress.textContent = ` — ${t("sent_percent", { n: Math.floor((100 * sent) / shown.size) })}`;
    }
  });
  const input = h("input", { type: "file", accept: "image/*", capture: "environment", multiple: true, class: "file-input", id: "photo-input", dataset: { action: "photo-input" } });
  input.addEventListener("change", async () => {
    for (const file of Array.from(input.files)) {
      const row = h("li", {}, `${file.name} — ${t("compressing")}`);
      status.append(row);
      try {
        const blob = await compress(file);
        const name = `${file.name.replace(/\.[^.]+$/, "") || "photo"}.jpg`;
        const ref = uuid();
        const progress = h("span", { class: "progress" });
        row.replaceChildren(`${name} — ${kilobytes(blob.size)}`, progress);
        row.dataset.bytes = String(blob.size);
        going.set(ref, { row, progress, size: blob.size });
        const outcome = await outbox.submit({
          ref,
          kind: "photo",
          object: "field_task",
          id: task.id,
          number: task.number,
          label: t("photo"),
          field: "photos",
          blob,
          filename: name,
        });
        going.delete(ref);
        row.dataset.state = outcome.state;
        progress.textContent = "";
        row.append(" ", outcome.state === "sent" ? "✓" : t("waiting_to_send"));
        const url = URL.createObjectURL(blob);
        urls.push(url);
        thumbs.append(h("img", { class: outcome.state === "sent" ? "thumb" : "thumb queued", src: url, alt: t("photo") }));
        none.replaceWith(thumbs);
      } catch (error) {
        row.dataset.state = "failed";
        await showProblem(error, app.config.fields);
      }
    }
    input.value = "";
    toast(t("photos_done"));
  });
  const take = h("label", { class: "btn primary big", for: "photo-input", dataset: { action: "take-photo" } }, t("take_photo"));
  const none = note(t("no_photos"));
  const node = screen("photos", [
    saved.length || shown._photos.length ? thumbs : none,
    h("p", { class: "hint" }, t("photo_hint")),
    status,
  ], [input, take]);
  const cleanup = () => {
    unwatch();
    urls.forEach((url) => URL.revokeObjectURL(url));
  };
  return { node, cleanup };
}
