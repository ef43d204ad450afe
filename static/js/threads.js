/*
 * Threads on the consultation page and a thread's own page, enhanced:
 *  - a long comment is folded to a few lines with a "Vis mer" button (aria-expanded); the
 *    whole text stays in the page, so screen readers and readers without this script get it;
 *  - "Vis alle N svar" brings the rest of a thread's replies into the page (from the
 *    thread's own page, which the link leads to without this script);
 *  - a comment just posted gets the focus (as its autofocus asks), so its confirmation is
 *    heard and it is in view.
 * The button labels come from the page (data-show-more, data-show-less on ol.threads).
 */
(function () {
  "use strict";

  var FOLD_EM = 12;  // as .comment-body.is-folded in site.css
  var folds = 0;

  function fold(body, labels) {
    if (body.dataset.foldChecked) { return; }
    body.dataset.foldChecked = "1";
    var em = parseFloat(getComputedStyle(body).fontSize) || 16;
    if (body.scrollHeight <= em * FOLD_EM * 1.4) { return; }  // barely longer: not worth a button
    if (!body.id) { body.id = "kommentartekst-" + (++folds); }
    body.classList.add("is-folded");
    var button = document.createElement("button");
    button.type = "button";
    button.className = "link-button fold-toggle";
    button.setAttribute("aria-expanded", "false");
    button.setAttribute("aria-controls", body.id);
    button.textContent = labels.more;
    button.addEventListener("click", function () {
      var folded = body.classList.toggle("is-folded");
      button.setAttribute("aria-expanded", folded ? "false" : "true");
      button.textContent = folded ? labels.more : labels.less;
    });
    body.insertAdjacentElement("afterend", button);
  }

  function foldAll(root) {
    document.querySelectorAll("ol.threads[data-show-more]").forEach(function (list) {
      var labels = { more: list.dataset.showMore, less: list.dataset.showLess };
      (root || list).querySelectorAll(".comment-body").forEach(function (body) {
        if (list.contains(body)) { fold(body, labels); }
      });
    });
  }

  // "Vis alle N svar": the replies from the thread's own page, put in after those shown.
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a.more-replies[data-inline]");
    if (!link || !window.fetch || !window.DOMParser || event.ctrlKey || event.metaKey || event.shiftKey) {
      return;
    }
    event.preventDefault();
    var line = link.closest(".more-replies-line");
    var thread = link.closest(".thread");
    link.setAttribute("aria-busy", "true");
    fetch(link.href, { credentials: "same-origin", headers: { "Accept": "text/html" } }).then(function (response) {
      if (!response.ok) { throw new Error(String(response.status)); }
      return response.text();
    }).then(function (html) {
      var page = new DOMParser().parseFromString(html, "text/html");
      var replies = Array.prototype.slice.call(page.querySelectorAll("ol.threads > li.thread > article.comment"), 1);
      var first = null;
      replies.forEach(function (reply) {
        if (document.getElementById(reply.id)) { return; }  // shown already
        var node = document.importNode(reply, true);
        thread.insertBefore(node, line);
        first = first || node;
      });
      line.remove();
      foldAll(thread);
      if (first) {
        first.setAttribute("tabindex", "-1");
        first.focus();
      }
    }).catch(function () {
      window.location.href = link.href;  // the thread's own page, as without this script
    });
  });

  function focusJustPosted() {
    var posted = document.querySelector(".comment.just-posted");
    if (posted && document.activeElement !== posted) {
      posted.focus();
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { foldAll(); focusJustPosted(); });
  } else {
    foldAll();
    focusJustPosted();
  }
})();
