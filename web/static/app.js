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

  // A redraw keeps what the person was doing: a fold (<details id=…>) they opened or closed, and
  // what they typed or picked in a field (with an id) and have not sent yet — a live redraw after
  // a collaborator's edit must not eat a half-typed name. A field the person changes is marked
  // `data-unsent` (their own input, not a value a script set); sending its form clears the mark,
  // and from then on the server's value shows. A boosted navigation to another page starts fresh.
  var SKIP = { hidden: 1, file: 1, password: 1, submit: 1, button: 1, reset: 1, image: 1 };
  var UNSENT = "data-unsent";

  function isField(elt) {
    return elt && elt.id && /^(INPUT|TEXTAREA|SELECT)$/.test(elt.tagName) && !SKIP[elt.type];
  }
  function touched(event) { if (isField(event.target)) { event.target.setAttribute(UNSENT, ""); } }
  document.addEventListener("input", touched, true);
  document.addEventListener("change", touched, true);

  function markSent(form) {
    Array.prototype.forEach.call(form.elements || [], function (field) { field.removeAttribute(UNSENT); });
  }
  // Capturing on window runs before any page script may take the request over.
  window.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail && event.detail.elt;
    var form = elt && (elt.tagName === "FORM" ? elt : elt.closest && elt.closest("form"));
    if (form) { markSent(form); }
  }, true);
  document.addEventListener("submit", function (event) { markSent(event.target); }, true);

  var kept = typeof WeakMap === "function" ? new WeakMap() : null;
  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target, state = { folds: {}, fields: {} };
    if (!kept || event.detail.boosted || !target || !target.querySelectorAll) { return; }
    target.querySelectorAll("details[id]").forEach(function (fold) { state.folds[fold.id] = fold.open; });
    target.querySelectorAll("[" + UNSENT + "]").forEach(function (field) {
      if (isField(field)) { state.fields[field.id] = { value: field.value, checked: field.checked, type: field.type }; }
    });
    kept.set(event.detail.xhr, state);
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    var state = kept && kept.get(event.detail.xhr);
    if (!state) { return; }
    kept.delete(event.detail.xhr);
    Object.keys(state.folds).forEach(function (id) {
      var fold = document.getElementById(id);
      if (fold && fold.tagName === "DETAILS" && fold.open !== state.folds[id]) { fold.open = state.folds[id]; }
    });
    Object.keys(state.fields).forEach(function (id) {
      var field = document.getElementById(id), was = state.fields[id];
      if (!isField(field) || field.type !== was.type) { return; }
      if (field.tagName === "SELECT" && !Array.prototype.some.call(field.options, function (o) { return o.value === was.value; })) { return; }
      if (field.type === "checkbox" || field.type === "radio") { field.checked = was.checked; } else { field.value = was.value; }
      field.setAttribute(UNSENT, "");
    });
  });

  window.Cadenza = { cookie: cookie };
})();
