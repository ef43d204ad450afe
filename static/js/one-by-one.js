// Keyboard shortcuts of the one-at-a-time view (templates/summaries/one_by_one.html):
// each element with data-key="k" is clicked when k is pressed; "n" and the right arrow go
// to the next comment (the element marked "n", or else "s"); Enter accepts the proposed
// theme (the element marked "j") unless the focus is on a link, a button or a field, where
// Enter keeps its own meaning. Keys typed in a field, or with Ctrl, Alt or Meta held, are
// left alone. On load the comment gets the focus, so a screen reader starts there. Without
// JavaScript the buttons still work.
(function () {
  "use strict";

  function typing(target) {
    if (!target || !target.closest) return false;
    return Boolean(target.closest("input, textarea, select, [contenteditable]:not([contenteditable='false'])"));
  }

  function interactive(target) {
    return Boolean(target && target.closest && target.closest("a[href], button, summary, [role='button']"));
  }

  function find(key) {
    return document.querySelector('[data-key="' + key + '"]');
  }

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.ctrlKey || event.altKey || event.metaKey || typing(event.target)) return;
    var key;
    if (event.key === "Enter") {
      if (event.shiftKey || interactive(event.target)) return;
      key = "j";
    } else {
      key = event.key === "ArrowRight" ? "n" : (event.key || "").toLowerCase();
    }
    // Only letters and digits are shortcuts (a quote or a backslash would break the selector).
    if (!/^[a-z0-9]$/.test(key)) return;
    var element = find(key) || (key === "n" ? find("s") : null);
    if (!element) return;
    event.preventDefault();
    element.click();
  });

  document.addEventListener("DOMContentLoaded", function () {
    var comment = document.querySelector("[data-focus-on-load]");
    if (comment && (!document.activeElement || document.activeElement === document.body)) {
      comment.focus({ preventScroll: true });
    }
  });
})();
