// Keyboard shortcuts of the one-at-a-time view (templates/summaries/one_by_one.html):
// each element with data-key="k" is clicked when k is pressed; "n" and the right arrow go
// to the next comment (the element marked "n", or else "s"). Keys typed in a field, or
// with Ctrl, Alt or Meta held, are left alone; without JavaScript the buttons still work.
(function () {
  "use strict";

  function typing(target) {
    if (!target || !target.closest) return false;
    return Boolean(target.closest("input, textarea, select, [contenteditable]:not([contenteditable='false'])"));
  }

  function find(key) {
    return document.querySelector('[data-key="' + key + '"]');
  }

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.ctrlKey || event.altKey || event.metaKey || typing(event.target)) return;
    var key = event.key === "ArrowRight" ? "n" : (event.key || "").toLowerCase();
    // Only letters and digits are shortcuts (a quote or a backslash would break the selector).
    if (!/^[a-z0-9]$/.test(key)) return;
    var element = find(key) || (key === "n" ? find("s") : null);
    if (!element) return;
    event.preventDefault();
    element.click();
  });
})();
