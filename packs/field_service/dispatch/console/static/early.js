/*
 * Starts reading the board as soon as the page's head is parsed, while the board's
 * libraries load: console.js takes this answer for its first draw (data-board: the URL
 * of the day the page opens on, which the server worked out).
 */
(function () {
  "use strict";
  const url = document.currentScript.dataset.board;
  const lang = document.documentElement.lang || "en";
  window.__dcEarly = {
    url,
    answer: fetch(url, { credentials: "same-origin", headers: { Accept: "application/json", "Accept-Language": lang } }),
  };
})();
