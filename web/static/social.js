// Community page helpers: file uploads into hidden fields (POST /uploads), share links that can
// start at the current moment, comments "at this moment", and confirmations. Forms still post
// without JavaScript; only picking a file needs it (uploads stream the raw file).
(function () {
  "use strict";

  function cookie(name) {
    var match = document.cookie.match(new RegExp("(?:^|; )" + name + "=([^;]*)"));
    return match ? decodeURIComponent(match[1]) : "";
  }

  function position(track) {
    return window.CadenzaPlayer ? window.CadenzaPlayer.position(track) : null;
  }

  function clock(seconds) {
    return window.CadenzaPlayer ? window.CadenzaPlayer.clock(seconds) : String(Math.floor(seconds));
  }

  // ------------------------------------------------------------------ uploads
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("input[type=file][data-upload]") || !input.files.length) { return; }
    var name = input.getAttribute("data-upload");
    var form = input.form || input.closest("form");
    var hidden = form.querySelector('input[type=hidden][name="' + name + '"]');
    var status = form.querySelector('[data-upload-status="' + name + '"]');
    var file = input.files[0];
    var request = new XMLHttpRequest();
    request.open("POST", "/uploads");
    request.setRequestHeader("X-Filename", file.name);
    request.setRequestHeader("X-CSRFToken", cookie("csrftoken"));
    request.setRequestHeader("Content-Type", file.type || "application/octet-stream");
    request.upload.addEventListener("progress", function (e) {
      if (status && e.lengthComputable) { status.textContent = Math.round((e.loaded / e.total) * 100) + "%"; }
    });
    request.addEventListener("load", function () {
      var body = {};
      try { body = JSON.parse(request.responseText); } catch (e) { body = {}; }
      if (request.status === 201 && body.id) {
        hidden.value = body.id;
        if (status) { status.textContent = "✓ " + file.name; status.setAttribute("data-state", "done"); }
        if (input.hasAttribute("data-upload-submit")) { form.requestSubmit ? form.requestSubmit() : form.submit(); }
      } else if (status) {
        status.textContent = (body.error && body.error.message) || String(request.status);
        status.setAttribute("data-state", "error");
      }
    });
    request.addEventListener("error", function () {
      if (status) { status.textContent = "✗"; status.setAttribute("data-state", "error"); }
    });
    if (status) { status.textContent = "0%"; status.removeAttribute("data-state"); }
    request.send(file);
  });

  // ------------------------------------------------------------------ share links with ?t=
  function shareUrl(box) {
    var url = box.getAttribute("data-url");
    var at = box.querySelector("[data-share-at]");
    var seconds = at && at.checked ? position(box.getAttribute("data-track")) : null;
    if (seconds === null || seconds === undefined) { return url; }
    return url + (url.indexOf("?") >= 0 ? "&" : "?") + "t=" + Math.floor(seconds);
  }

  function refreshShare(box) {
    var url = shareUrl(box);
    box.querySelectorAll("a[data-pattern]").forEach(function (link) {
      link.setAttribute("href", link.getAttribute("data-pattern").replace("{url}", encodeURIComponent(url)));
    });
    var copy = box.querySelector("[data-share-copy]");
    if (copy) { copy.setAttribute("data-copy", url); }
    var label = box.querySelector("[data-share-at-label]");
    var at = box.querySelector("[data-share-at]");
    var seconds = position(box.getAttribute("data-track"));
    if (label) { label.textContent = at && at.checked && seconds !== null ? "(" + clock(seconds) + ")" : ""; }
  }

  document.addEventListener("change", function (event) {
    var box = event.target.closest && event.target.closest("[data-share-box]");
    if (box) { refreshShare(box); }
  });
  // Links follow the playhead while "from the current moment" is ticked.
  document.addEventListener("pointerdown", function (event) {
    var box = event.target.closest && event.target.closest("[data-share-box]");
    if (box) { refreshShare(box); }
  }, true);

  // ------------------------------------------------------------------ comments at a moment
  document.addEventListener("change", function (event) {
    if (!event.target.matches || !event.target.matches("[data-at-now]")) { return; }
    var form = event.target.form;
    var seconds = position(form.getAttribute("data-track"));
    var label = form.querySelector("[data-at-label]");
    if (label) { label.textContent = event.target.checked && seconds !== null ? "(" + clock(seconds) + ")" : ""; }
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.hasAttribute("data-comment-form")) {
      var seconds = position(form.getAttribute("data-track"));
      var input = form.querySelector("[data-at-input]");
      if (input) { input.value = seconds === null ? "" : seconds.toFixed(1); }
    }
    var question = form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) { event.preventDefault(); event.stopPropagation(); }
  }, true);
})();
