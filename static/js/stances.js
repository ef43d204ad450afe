/*
 * "Enig" / "Uenig" without reloading the page. Without this script the buttons are plain
 * form buttons (the server answers with the page); with it, a click posts the same form
 * data (CSRF token included) asking for JSON, and the buttons, counts, the "Omstridt"
 * badge and a status message for screen readers are updated from the answer.
 */
(function () {
  "use strict";

  function update(form, answer) {
    var counts = { agree: answer.agree_count, disagree: answer.disagree_count };
    form.querySelectorAll("button.stance-button").forEach(function (button) {
      var stance = button.getAttribute("data-stance");
      var held = answer.stance === stance;
      button.setAttribute("aria-pressed", held ? "true" : "false");
      button.value = held ? "" : stance;
      var count = button.querySelector(".stance-count");
      if (count) { count.textContent = counts[stance] ? "(" + counts[stance] + ")" : ""; }  // no "(0)"
    });
    var badge = form.querySelector(".badge-contested");
    if (badge) { badge.hidden = !answer.contested; }
    say(form, answer.message);
  }

  // Success is said to screen readers only (the buttons show it); a refusal is shown.
  function say(form, message, visible) {
    var status = form.querySelector(".stance-status");
    if (!status) { return; }
    status.classList.toggle("visually-hidden", !visible);
    status.classList.toggle("error", !!visible);
    status.textContent = message || "";
  }

  function submitPlainly(form, button) {
    var field = document.createElement("input");
    field.type = "hidden";
    field.name = "stance";
    field.value = button.value;
    form.appendChild(field);
    form.submit();
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.classList.contains("stance-form") || !window.fetch) {
      return;
    }
    var button = event.submitter;
    if (!button || !button.classList.contains("stance-button")) { return; }
    event.preventDefault();
    var data = new FormData(form);
    data.set("stance", button.value);
    button.setAttribute("aria-busy", "true");
    fetch(form.action, {
      method: "POST",
      body: new URLSearchParams(data),
      headers: { "Accept": "application/json" },
      credentials: "same-origin"
    }).then(function (response) {
      return response.json().then(function (body) {
        if (response.ok) {
          update(form, body);
        } else {
          say(form, body && body.error ? body.error.message : "", true);
        }
      });
    }).catch(function () {
      submitPlainly(form, button); // no answer as JSON: the plain form, answered with the page
    }).then(function () {
      button.removeAttribute("aria-busy");
    });
  });
})();
