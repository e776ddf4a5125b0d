// Small progressive enhancements; every page works without them.
// The Content-Security-Policy allows no inline script, so templates ask for behaviour with data
// attributes and it lives here:
//   data-confirm="Question?"           on a form: ask before submitting
//   data-dismiss                       on a button: close its flash message
//   data-copy="#selector"              on a button: copy that element's text
//   data-remove="selector"             on a button: remove its closest such ancestor when clicked (a list left
//                                        with no items becomes :empty, so its data-empty placeholder shows),
//     data-then-trigger="event"          then fire that event on <body> (htmx triggers listen for it)
//   data-add-row="#template"           on a button: append a copy of that <template> to the element named by
//     data-add-to="#list"                data-add-to, "__n__" in it replaced by the list's data-next (then + 1)
//   data-remove-after-request="sel"    on an htmx element: remove its closest such ancestor after its request
//   data-enter-stays                   on an input: Enter does not submit the form
//   data-filter-checklist              on a search box: hide the labels of its .check-list that do not match
//                                        (and a .check-group heading with none left under it)
//   data-autosubmit                    on a select: submit its form when it changes
//   data-check-all="name"              on a checkbox: tick or untick every checkbox of that name in its form
//   data-follow                        on a link: follow it as soon as the page loads (sso/continue.html: the
//                                        CSP's form-action keeps a form from redirecting to another site,
//                                        so the sign-in form lands here and a link goes on to the provider)
//   data-submit-to-frame               on a form with target="frame name": submit it as soon as it is on the
//                                        page (at load and each time htmx swaps it in), so the frame shows its
//                                        answer (the email editor's HTML preview, served under its own policy)
(function () {
  "use strict";

  // Remove an element; a list left with no items is emptied of the whitespace between them, so that its
  // CSS :empty placeholder (e.g. .chip-list[data-empty]) shows again.
  function removeLeavingEmpty(element) {
    var parent = element.parentNode;
    element.remove();
    if (parent && parent.children.length === 0 && !parent.textContent.trim()) parent.textContent = "";
  }

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
    var adder = event.target.closest("[data-add-row]");
    if (adder) {
      var template = document.querySelector(adder.getAttribute("data-add-row"));
      var list = document.querySelector(adder.getAttribute("data-add-to"));
      if (template && list) {
        var key = parseInt(list.getAttribute("data-next"), 10) || 1;
        list.setAttribute("data-next", String(key + 1));
        list.insertAdjacentHTML("beforeend", template.innerHTML.split("__n__").join(String(key)));
        var first = list.lastElementChild && list.lastElementChild.querySelector("input, select");
        if (first) first.focus();
      }
      return;
    }
    var remover = event.target.closest("[data-remove]");
    if (remover) {
      var removed = remover.closest(remover.getAttribute("data-remove"));
      if (removed) removeLeavingEmpty(removed);
      var then = remover.getAttribute("data-then-trigger");
      if (then) document.body.dispatchEvent(new CustomEvent(then, { bubbles: true }));
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
    // Close the account menu and the navigation's "More" when clicking elsewhere.
    document.querySelectorAll("details.usermenu[open], details.navmore[open], details.navmenu[open]").forEach(function (menu) {
      if (!menu.contains(event.target)) menu.removeAttribute("open");
    });
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    var selector = event.target.getAttribute && event.target.getAttribute("data-remove-after-request");
    var removed = selector && event.target.closest(selector);
    if (removed) removeLeavingEmpty(removed);
  });

  document.addEventListener("input", function (event) {
    var box = event.target;
    if (!box.matches || !box.matches("[data-filter-checklist]")) return;
    var q = box.value.toLowerCase();
    box.parentNode.querySelectorAll(".check-list").forEach(function (list) {
      var heading = null;
      var headingShown = false;
      Array.prototype.forEach.call(list.children, function (child) {
        if (child.classList.contains("check-group")) {
          if (heading) heading.hidden = !headingShown;
          heading = child;
          headingShown = false;
        } else if (child.tagName === "LABEL") {
          child.hidden = Boolean(q) && child.textContent.toLowerCase().indexOf(q) < 0;
          headingShown = headingShown || !child.hidden;
        }
      });
      if (heading) heading.hidden = !headingShown;
    });
  });

  document.addEventListener("change", function (event) {
    var all = event.target;
    if (all.matches && all.matches("[data-check-all]") && all.form) {
      var name = all.getAttribute("data-check-all");
      Array.prototype.forEach.call(all.form.elements, function (box) {
        if (box.type === "checkbox" && box.name === name) box.checked = all.checked;
      });
      return;
    }
    var select = event.target;
    if (select.matches && select.matches("[data-autosubmit]") && select.form) select.form.submit();
  });

  document.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && event.target.matches && event.target.matches("[data-enter-stays]")) {
      event.preventDefault();
    }
    if (event.key === "Escape") {
      document.querySelectorAll("details.usermenu[open], details.navmore[open]").forEach(function (menu) {
        menu.removeAttribute("open");
      });
    }
  });

  // <form data-submit-to-frame target="name">: submitted once, as soon as it is on the page.
  function submitToFrames(root) {
    var forms = Array.prototype.slice.call(root.querySelectorAll("form[data-submit-to-frame]"));
    if (root.matches && root.matches("form[data-submit-to-frame]")) forms.push(root);
    forms.forEach(function (form) {
      if (form.submittedToFrame) return;
      form.submittedToFrame = true;
      form.submit();
    });
  }
  document.addEventListener("htmx:load", function (event) {
    if (event.target.querySelectorAll) submitToFrames(event.target);
  });

  function onLoad() {
    var link = document.querySelector("a[data-follow]");
    if (link) window.location.assign(link.href);
    submitToFrames(document);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", onLoad);
  else onLoad();
})();
