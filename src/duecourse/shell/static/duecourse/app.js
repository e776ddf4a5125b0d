// Small progressive enhancements; every page works without them.
(function () {
  "use strict";

  // <form data-confirm="Question?"> asks before submitting.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  document.addEventListener("click", function (event) {
    // Dismiss a flash message.
    var dismiss = event.target.closest("[data-dismiss]");
    if (dismiss) {
      dismiss.closest(".flash").remove();
      return;
    }
    // Copy the text of another element (e.g. a new API token).
    var copy = event.target.closest("[data-copy]");
    if (copy) {
      var source = document.querySelector(copy.getAttribute("data-copy"));
      if (source && navigator.clipboard) {
        navigator.clipboard.writeText(source.textContent.trim()).then(function () {
          copy.textContent = "Copied";
        });
      }
      return;
    }
    // Close the account menu when clicking elsewhere.
    document.querySelectorAll("details.usermenu[open]").forEach(function (menu) {
      if (!menu.contains(event.target)) menu.removeAttribute("open");
    });
  });

  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      document.querySelectorAll("details.usermenu[open]").forEach(function (menu) {
        menu.removeAttribute("open");
      });
    }
  });
})();
