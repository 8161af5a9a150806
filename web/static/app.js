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

  window.Cadenza = { cookie: cookie };
})();
