/**
 * Scanning a code with the phone's rear camera, with the browser's own BarcodeDetector
 * (Chrome on Android; no library in the app). `canScan()` says whether this browser can;
 * where it cannot, a hardware or Bluetooth scanner types the code into a search box
 * instead (see screens/parts.js). `scanCode()` shows the camera in a sheet
 * (data-sheet="scan") and resolves with the first code it reads, or null when cancelled.
 */

import { t } from "./i18n.js";
import { h } from "./ui.js";

// Linear codes on part labels and boxes, and the 2-D ones on newer labels.
const FORMATS = ["code_128", "code_39", "code_93", "codabar", "ean_13", "ean_8", "upc_a", "upc_e", "itf", "qr_code", "data_matrix"];
const EVERY_MS = 150;

/** Whether the browser can read codes from the camera. */
export function canScan() {
  return typeof window.BarcodeDetector === "function" && Boolean(navigator.mediaDevices && navigator.mediaDevices.getUserMedia);
}

async function detector() {
  let formats = FORMATS;
  if (typeof window.BarcodeDetector.getSupportedFormats === "function") {
    const supported = await window.BarcodeDetector.getSupportedFormats();
    formats = FORMATS.filter((format) => supported.includes(format));
  }
  return new window.BarcodeDetector(formats.length ? { formats } : undefined);
}

/** Read one code from the rear camera; null when the engineer closes the sheet. */
export async function scanCode() {
  const reader = await detector();
  const stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: { ideal: "environment" } }, audio: false });
  const video = h("video", { class: "scan-video", autoplay: true, muted: true, playsinline: true });
  video.muted = true;
  video.srcObject = stream;
  const backdrop = document.getElementById("m-sheet");
  return new Promise((resolve) => {
    let timer = null;
    let done = false;
    const close = (code) => {
      if (done) {
        return;
      }
      done = true;
      clearTimeout(timer);
      window.removeEventListener("hashchange", leave);
      stream.getTracks().forEach((track) => track.stop());
      backdrop.hidden = true;
      backdrop.replaceChildren();
      resolve(code);
    };
    const leave = () => close(null); // the engineer went elsewhere: the camera goes off
    window.addEventListener("hashchange", leave);
    const look = async () => {
      if (done) {
        return;
      }
      try {
        if (video.readyState >= 2) {
          const found = (await reader.detect(video)).find((code) => code.rawValue);
          if (found) {
            close(found.rawValue.trim());
            return;
          }
        }
      } catch (error) {
        console.error(error); // a frame it could not read: try the next one
      }
      timer = setTimeout(look, EVERY_MS);
    };
    const cancel = h("button", { type: "button", class: "btn", dataset: { action: "cancel" }, onclick: () => close(null) }, t("cancel"));
    backdrop.replaceChildren(h("div", { class: "sheet", role: "dialog", "aria-modal": "true", dataset: { sheet: "scan" } },
      h("h2", {}, t("scan_title")),
      h("div", { class: "scan-frame" }, video),
      h("p", { class: "hint" }, t("scan_hint")),
      h("div", { class: "sheet-actions" }, cancel)));
    backdrop.hidden = false;
    backdrop.onclick = (event) => {
      if (event.target === backdrop) {
        close(null);
      }
    };
    video.play().catch(() => {}).finally(look);
  });
}
