/* Plinth pages: small widgets on plain forms (every form also works without them). */
(function () {
  "use strict";
  var csrf = function () {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  };

  function autosubmit(root) {
    root.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
      select.addEventListener("change", function () { select.form.submit(); });
    });
  }

  function pickers(root) {
    root.querySelectorAll(".picker").forEach(function (picker) {
      var hidden = picker.querySelector('input[type="hidden"]');
      var search = picker.querySelector(".picker-search");
      var results = picker.querySelector(".picker-results");
      var timer = null;
      function load() {
        var url = picker.dataset.source + "?field=" + encodeURIComponent(picker.dataset.field) +
          "&q=" + encodeURIComponent(search.value.replace(/^#\d+$/, ""));
        fetch(url, { credentials: "same-origin" })
          .then(function (r) { return r.ok ? r.text() : ""; })
          .then(function (html) { results.innerHTML = html; });
      }
      search.addEventListener("input", function () {
        if (!search.value) { hidden.value = ""; }
        clearTimeout(timer);
        timer = setTimeout(load, 200);
      });
      search.addEventListener("focus", function () { if (!hidden.value) { load(); } });
      document.addEventListener("click", function (event) {
        if (!picker.contains(event.target)) { clearTimeout(timer); results.innerHTML = ""; }
      });
      search.addEventListener("keydown", function (event) {
        if (event.key === "ArrowDown") {
          var first = results.querySelector(".pick");
          if (first) { event.preventDefault(); first.focus(); }
        } else if (event.key === "Escape") { results.innerHTML = ""; }
      });
      results.addEventListener("click", function (event) {
        var button = event.target.closest(".pick");
        if (!button) { return; }
        clearTimeout(timer);
        hidden.value = button.dataset.id;
        search.value = button.dataset.title;
        results.innerHTML = "";
        search.focus();
      });
    });
  }

  /* "Use my location": the device's position into lat / lng and, when the geo field names
     an accuracy_field present in the same form, the accuracy in metres into that field. */
  function locator(box, moved) {
    var button = box.querySelector(".geo-locate");
    var status = box.querySelector(".geo-status");
    if (!button) { return; }
    var lat = box.querySelector('input[name$="__lat"]');
    var lng = box.querySelector('input[name$="__lng"]');
    function say(text, failed) {
      status.textContent = text;
      status.classList.toggle("field-error", !!failed);
      status.classList.toggle("muted", !failed);
    }
    button.addEventListener("click", function () {
      if (window.isSecureContext === false) { say(button.dataset.insecure, true); return; }
      if (!navigator.geolocation) { say(button.dataset.unsupported, true); return; }
      button.disabled = true;
      say(button.dataset.locating, false);
      navigator.geolocation.getCurrentPosition(function (position) {
        var coords = position.coords;
        lat.value = coords.latitude.toFixed(6);
        lng.value = coords.longitude.toFixed(6);
        var name = box.dataset.accuracyField;
        var accuracy = name && box.closest("form") ?
          box.closest("form").querySelector('[name="' + name + '"]') : null;
        if (accuracy && typeof coords.accuracy === "number") {
          accuracy.value = String(Math.round(coords.accuracy * 10) / 10);
        }
        button.disabled = false;
        say(button.dataset.found.replace("{m}", String(Math.round(coords.accuracy))), false);
        moved([coords.latitude, coords.longitude]);
      }, function (error) {
        button.disabled = false;
        var text = { 1: button.dataset.denied, 3: button.dataset.timeout }[error.code];
        say(text || button.dataset.unavailable, true);
      }, { enableHighAccuracy: true, timeout: 20000, maximumAge: 0 });
    });
  }

  function maps(root) {
    root.querySelectorAll(".geo-picker").forEach(function (box) {
      var lat = box.querySelector('input[name$="__lat"]');
      var lng = box.querySelector('input[name$="__lng"]');
      var el = box.querySelector(".map");
      if (!window.L || !el) {
        if (el) { el.hidden = true; }
        locator(box, function () {});
        return;
      }
      var start = [parseFloat(lat.value) || 31.2304, parseFloat(lng.value) || 121.4737];
      var map = window.L.map(el, { attributionControl: false }).setView(start, lat.value ? 14 : 11);
      if (box.dataset.tiles) { window.L.tileLayer(box.dataset.tiles, { maxZoom: 19 }).addTo(map); }
      var marker = lat.value ? window.L.marker(start).addTo(map) : null;
      function place(point) {
        if (marker) { marker.setLatLng(point); } else { marker = window.L.marker(point).addTo(map); }
      }
      locator(box, function (point) { place(point); map.setView(point, 16); });
      map.on("click", function (event) {
        lat.value = event.latlng.lat.toFixed(6);
        lng.value = event.latlng.lng.toFixed(6);
        place(event.latlng);
      });
      [lat, lng].forEach(function (input) {
        input.addEventListener("change", function () {
          var point = [parseFloat(lat.value), parseFloat(lng.value)];
          if (!isNaN(point[0]) && !isNaN(point[1])) { place(point); map.panTo(point); }
        });
      });
    });
  }

  function signatures(root) {
    root.querySelectorAll(".signature-pad").forEach(function (box) {
      var canvas = box.querySelector("canvas");
      var hidden = box.querySelector('input[type="hidden"]');
      if (!window.SignaturePad || !canvas) { return; }
      var ratio = Math.max(window.devicePixelRatio || 1, 1);
      canvas.width = canvas.offsetWidth * ratio;
      canvas.height = canvas.offsetHeight * ratio;
      canvas.getContext("2d").scale(ratio, ratio);
      var pad = new window.SignaturePad(canvas, { backgroundColor: "rgb(255,255,255)" });
      pad.addEventListener("endStroke", function () { hidden.value = pad.toDataURL("image/png"); });
      box.querySelector(".sig-clear").addEventListener("click", function () {
        pad.clear();
        hidden.value = "";
      });
    });
  }

  function uploads(root) {
    root.querySelectorAll(".upload").forEach(function (box) {
      var input = box.querySelector(".upload-file");
      var bar = box.querySelector("progress");
      var status = box.querySelector(".upload-status");
      input.addEventListener("change", function () {
        if (!input.multiple) {
          box.querySelectorAll('input[type="hidden"]').forEach(function (old) { old.remove(); });
        }
        Array.prototype.forEach.call(input.files, function (file) {
          var data = new FormData();
          data.append("file", file);
          var xhr = new XMLHttpRequest();
          xhr.open("POST", box.dataset.upload);
          xhr.setRequestHeader("X-CSRF-Token", csrf());
          bar.hidden = false;
          bar.value = 0;
          xhr.upload.addEventListener("progress", function (event) {
            if (event.lengthComputable) { bar.value = Math.round(100 * event.loaded / event.total); }
          });
          xhr.addEventListener("load", function () {
            var answer = {};
            try { answer = JSON.parse(xhr.responseText); } catch (e) { answer = {}; }
            if (xhr.status === 201 && answer.id) {
              var hidden = document.createElement("input");
              hidden.type = "hidden";
              hidden.name = input.dataset.name;
              hidden.value = answer.id;
              box.appendChild(hidden);
              bar.value = 100;
              status.textContent = "✓ " + file.name;
              box.dispatchEvent(new CustomEvent("plinth:uploaded", { bubbles: true }));
            } else {
              status.textContent = "✗ " + file.name + ": " + (answer.detail || xhr.status);
            }
          });
          xhr.send(data);
        });
      });
    });
  }

  function selectAll(root) {
    root.querySelectorAll(".select-all").forEach(function (box) {
      box.addEventListener("change", function () {
        box.form.querySelectorAll('input[name="ids"]').forEach(function (one) {
          one.checked = box.checked;
        });
      });
    });
  }

  /* The notification bell: the unread count on load, every 30 s while the page is in view
     and when it comes back into view (as a background request: it does not keep an idle
     session alive); its panel of the newest notifications is fetched each time it opens. */
  var BELL_POLL_MS = 30000;
  function bell(root) {
    var box = root.querySelector("[data-bell]");
    if (!box) { return; }
    var button = box.querySelector("[data-bell-button]");
    var badge = box.querySelector("[data-bell-count]");
    var panel = box.querySelector(".nb-panel");
    var stopped = false;
    function show(count) {
      badge.textContent = count > 99 ? "99+" : String(count);
      badge.hidden = !count;
      button.setAttribute("aria-label", count ?
        box.dataset.labelUnread.replace("{n}", String(count)) : box.dataset.label);
    }
    function refresh() {
      if (stopped) { return; }
      fetch(box.dataset.countUrl, {
        credentials: "same-origin",
        headers: { "Accept": "application/json", "X-Plinth-Background": "1" }
      }).then(function (r) {
        if (r.status === 401) { stopped = true; }  // logged out: the next page says so
        return r.ok ? r.json() : null;
      }).then(function (answer) {
        if (answer && typeof answer.unread === "number") { show(answer.unread); }
      }).catch(function () { /* offline for a moment: the next poll tries again */ });
    }
    function close(focusButton) {
      panel.hidden = true;
      button.setAttribute("aria-expanded", "false");
      if (focusButton) { button.focus(); }
    }
    function open() {
      panel.hidden = false;
      button.setAttribute("aria-expanded", "true");
      panel.setAttribute("aria-busy", "true");
      fetch(box.dataset.panelUrl, { credentials: "same-origin" }).then(function (r) {
        if (r.status === 401) { window.location.reload(); }  // to the login page
        return r.ok ? r.text() : "";
      }).catch(function () { return ""; }).then(function (html) {
        panel.removeAttribute("aria-busy");
        if (!html) {
          panel.innerHTML = "";
          var failed = document.createElement("p");
          failed.className = "nb-empty";
          failed.textContent = box.dataset.failed;
          panel.appendChild(failed);
          return;
        }
        panel.innerHTML = html;
        var head = panel.querySelector("[data-unread]");
        if (head) { show(parseInt(head.dataset.unread, 10) || 0); }
        panel.querySelectorAll("[data-here]").forEach(function (input) {
          input.value = window.location.pathname + window.location.search;
        });
      });
    }
    button.addEventListener("click", function () {
      if (panel.hidden) { open(); } else { close(false); }
    });
    box.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && !panel.hidden) { event.preventDefault(); close(true); }
    });
    box.addEventListener("focusout", function (event) {  // tabbed past the panel
      if (event.relatedTarget && !box.contains(event.relatedTarget)) { close(false); }
    });
    document.addEventListener("click", function (event) {
      if (!panel.hidden && !box.contains(event.target)) { close(false); }
    });
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "visible") { refresh(); }
    });
    window.setInterval(function () {
      if (document.visibilityState !== "hidden") { refresh(); }
    }, BELL_POLL_MS);
    refresh();
  }

  function init(root) {
    selectAll(root); autosubmit(root); pickers(root); maps(root); signatures(root); uploads(root);
  }
  function start() { init(document); bell(document); }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else { start(); }
})();
