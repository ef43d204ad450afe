/* "Forhåndsvis" on the summary editor (templates/summaries/summary.html): the server renders
   the preview as always (the same renderer and template as the consultation page); with
   JavaScript it is fetched and put in place without leaving the page, so the cursor and
   the scroll position in the form stay where they were. Without JavaScript, or when the
   server answers with anything but a preview (an error in the form), the form is posted
   as usual. */
(function () {
  "use strict";

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("summary-form");
    var slot = document.getElementById("preview-slot");
    if (!form || !slot || !window.fetch || !window.FormData || !window.DOMParser) return;
    var button = form.querySelector("button[name=action][value=preview]");
    if (!button) return;
    var posting = false;

    button.addEventListener("click", function (event) {
      if (posting) return;  // the fallback's own click goes through
      event.preventDefault();
      var data = new FormData(form);
      data.set("action", "preview");
      button.setAttribute("aria-busy", "true");
      fetch(form.getAttribute("action"), {method: "POST", body: data, credentials: "same-origin"})
        .then(function (response) {
          if (!response.ok) throw new Error("not a preview");
          return response.text();
        })
        .then(function (html) {
          var page = new DOMParser().parseFromString(html, "text/html");
          var fresh = page.getElementById("preview-slot");
          if (!fresh || !fresh.querySelector("#forhandsvisning")) throw new Error("not a preview");
          slot.innerHTML = fresh.innerHTML;
          button.removeAttribute("aria-busy");
          var heading = slot.querySelector("#preview-heading");
          if (heading) {
            heading.setAttribute("tabindex", "-1");
            heading.scrollIntoView({block: "start"});
            heading.focus({preventScroll: true});
          }
        })
        .catch(function () {
          posting = true;
          button.removeAttribute("aria-busy");
          button.click();
        });
    });
  });
})();
