/* Behaviour shared by every page, kept out of the templates: the content security policy
   runs no inline event handlers (onchange="…"). */
(function () {
  "use strict";
  // <select data-autosubmit> sends its form as soon as the choice changes (the <noscript>
  // button next to it does the same without JavaScript).
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target instanceof HTMLSelectElement && target.hasAttribute("data-autosubmit") && target.form) {
      target.form.requestSubmit ? target.form.requestSubmit() : target.form.submit();
    }
  });
})();
