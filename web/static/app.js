// The little JavaScript Cadenza needs; every page works without it.
(function () {
  "use strict";

  function cookie(name) {
    var match = document.cookie.match(new RegExp("(?:^|; )" + name + "=([^;]*)"));
    return match ? decodeURIComponent(match[1]) : "";
  }

  // Every htmx request carries the CSRF token (forms also carry it as a field).
  document.addEventListener("htmx:configRequest", function (event) {
    var token = cookie("csrftoken");
    if (token) { event.detail.headers["x-csrftoken"] = token; }
  });

  // The language switcher submits itself as soon as a language is picked.
  document.addEventListener("change", function (event) {
    var form = event.target.closest("form[data-autosubmit]");
    if (form) { form.requestSubmit ? form.requestSubmit() : form.submit(); }
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (button && navigator.clipboard) {
      navigator.clipboard.writeText(button.getAttribute("data-copy"));
      button.setAttribute("aria-pressed", "true");
    }
  });

  // After a boosted navigation, move focus to the new content for screen readers.
  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.boosted) {
      var main = document.getElementById("main");
      if (main) { main.focus({ preventScroll: true }); }
    }
  });

  // A fold (<details id=…>) the person opened or closed stays so when its part of the page is
  // drawn again (a re-render after an edit, theirs or a collaborator's); a boosted navigation
  // to another page starts fresh.
  var folds = typeof WeakMap === "function" ? new WeakMap() : null;
  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target, open = {};
    if (!folds || event.detail.boosted || !target || !target.querySelectorAll) { return; }
    target.querySelectorAll("details[id]").forEach(function (fold) { open[fold.id] = fold.open; });
    folds.set(event.detail.xhr, open);
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    var open = folds && folds.get(event.detail.xhr);
    if (!open) { return; }
    folds.delete(event.detail.xhr);
    Object.keys(open).forEach(function (id) {
      var fold = document.getElementById(id);
      if (fold && fold.tagName === "DETAILS" && fold.open !== open[id]) { fold.open = open[id]; }
    });
  });

  window.Cadenza = { cookie: cookie };
})();
