/* The admin builder: rows added to editor tables, and fields dragged between layout
   sections (SortableJS), kept in step with the list inputs the server reads. */
(function () {
  "use strict";

  function addRow(button) {
    var name = button.getAttribute("data-add-row");
    var box = button.closest("fieldset");
    var table = box.querySelector("table[data-rows-of]");
    var counter = box.querySelector("input[data-row-count]");
    var rows = table.tBodies[0].rows;
    var last = rows[rows.length - 1];
    var index = parseInt(counter.value, 10);
    var from = name + "/" + (index - 1);
    var to = name + "/" + index;
    var copy = last.cloneNode(true);
    copy.setAttribute("data-row", String(index));
    copy.querySelectorAll("input, select, textarea").forEach(function (input) {
      ["name", "id", "aria-describedby"].forEach(function (attr) {
        var value = input.getAttribute(attr);
        if (value) {
          input.setAttribute(attr, value.split(from).join(to)
            .split(from.replace(/[^A-Za-z0-9_-]/g, "-")).join(to.replace(/[^A-Za-z0-9_-]/g, "-")));
        }
      });
      if (input.type === "checkbox") { input.checked = false; }
      else if (input.type !== "hidden") { input.value = ""; }
    });
    copy.querySelectorAll(".field-error").forEach(function (e) { e.remove(); });
    last.parentNode.appendChild(copy);
    counter.value = String(index + 1);
    var first = copy.querySelector("input:not([type=hidden]), select, textarea");
    if (first) { first.focus(); }
  }

  function writeBack(list) {
    var target = list.getAttribute("data-target");
    if (!target) { return; }
    var input = document.getElementById(target);
    if (!input) { return; }
    var names = Array.prototype.map.call(list.querySelectorAll("[data-name]"), function (chip) {
      return chip.getAttribute("data-name");
    });
    input.value = names.join(", ");
  }

  function readInput(input) {
    var list = document.querySelector('[data-target="' + window.CSS.escape(input.id) + '"]');
    if (!list) { return; }
    var editor = list.closest("form");
    var palette = editor.querySelector(".chips.palette");
    var names = input.value.split(",").map(function (n) { return n.trim(); }).filter(Boolean);
    Array.prototype.slice.call(list.querySelectorAll("[data-name]")).forEach(function (chip) {
      if (names.indexOf(chip.getAttribute("data-name")) < 0 && palette) { palette.appendChild(chip); }
    });
    names.forEach(function (name) {
      var chip = editor.querySelector('[data-name="' + window.CSS.escape(name) + '"]');
      if (chip) {
        var home = chip.parentNode;
        list.appendChild(chip);
        if (home !== list) { writeBack(home); }
      }
    });
  }

  function initSortable() {
    if (!window.Sortable) { return; }
    document.querySelectorAll("[data-sortable]").forEach(function (list) {
      window.Sortable.create(list, {
        group: list.getAttribute("data-sortable"),
        animation: 120,
        onSort: function () { writeBack(list); }
      });
    });
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-add-row]");
    if (button) { event.preventDefault(); addRow(button); }
  });
  document.addEventListener("change", function (event) {
    if (event.target.matches("input")) { readInput(event.target); }
  });
  document.addEventListener("DOMContentLoaded", initSortable);
})();
