/* "Foreslåtte temaer": "Accept all above" leaves out the comments unticked on the page.
   Without JavaScript the form still works; it then leaves out only the proposals already
   declined (a group accepted with rows unticked). */
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("proposals-above");
    if (!form) { return; }
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
  });
})();
