/* "Foreslåtte temaer" (templates/summaries/theme_proposals.html).
   1. "Accept all above" leaves out the comments unticked on the page. Without JavaScript
      the form still works; it then leaves out only the proposals already declined (a group
      accepted with rows unticked).
   2. Keys: j or the down arrow moves to the next comment, the up arrow back; a theme's key
      (the data-key of its option) chooses that theme in the current row and ticks it, "l"
      "Read, no theme"; the space bar ticks or unticks the row; Enter accepts the current
      row's group. Keys typed in a field, or with Ctrl, Alt or Meta held, are left alone. */
(function () {
  "use strict";

  function typing(target) {
    if (!target || !target.closest) return false;
    return Boolean(target.closest("input, textarea, select, button, a, [contenteditable]:not([contenteditable='false'])"));
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("proposals-above");
    if (form) {
      form.addEventListener("submit", function () {
        Array.prototype.forEach.call(form.querySelectorAll("input[name=exclude]"), function (input) {
          input.remove();
        });
        Array.prototype.forEach.call(document.querySelectorAll("input.proposal-tick"), function (box) {
          if (!box.checked) {
            var hidden = document.createElement("input");
            hidden.type = "hidden";
            hidden.name = "exclude";
            hidden.value = box.value;
            form.appendChild(hidden);
          }
        });
      });
    }

    var rows = Array.prototype.slice.call(document.querySelectorAll("li[data-proposal-row]"));
    if (!rows.length) return;
    var current = -1;

    function go(index) {
      if (index < 0 || index >= rows.length) return;
      if (current >= 0) rows[current].classList.remove("is-current");
      current = index;
      rows[current].classList.add("is-current");
      rows[current].focus();
    }

    rows.forEach(function (row, index) {
      row.addEventListener("focusin", function () {
        if (current !== index) {
          if (current >= 0) rows[current].classList.remove("is-current");
          current = index;
          row.classList.add("is-current");
        }
      });
    });

    document.addEventListener("keydown", function (event) {
      if (event.defaultPrevented || event.ctrlKey || event.altKey || event.metaKey || typing(event.target)) return;
      var key = event.key || "";
      if (key === "j" || key === "ArrowDown") {
        event.preventDefault();
        go(current + 1);
        return;
      }
      if (key === "ArrowUp") {
        event.preventDefault();
        go(current - 1);
        return;
      }
      if (current < 0) return;
      var row = rows[current];
      if (key === "Enter") {
        event.preventDefault();
        var group = row.closest("form");
        if (group) group.requestSubmit();
        return;
      }
      if (key === " ") {
        event.preventDefault();
        var box = row.querySelector("input.proposal-tick");
        if (box) box.checked = !box.checked;
        return;
      }
      if (!/^[a-z0-9]$/.test(key)) return;
      var option = row.querySelector('option[data-key="' + key + '"]');
      if (!option) return;
      event.preventDefault();
      option.parentElement.value = option.value;
      var tick = row.querySelector("input.proposal-tick");
      if (tick) tick.checked = true;
    });
  });
})();
