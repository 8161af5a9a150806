// The studio's little JavaScript: uploads with a progress bar, live values beside sliders.
// Every page works without it (plain forms); this only makes it nicer.
(function () {
  "use strict";
  // Pages include this script in their content, so a boosted navigation may run it again.
  if (window.CadenzaStudio) { return; }
  window.CadenzaStudio = true;

  function cookie(name) {
    return window.Cadenza ? window.Cadenza.cookie(name) : "";
  }

  // Sliders show their value while dragging; the form posts on release ("change").
  document.addEventListener("input", function (event) {
    var input = event.target;
    if (input.matches && input.matches("input[type=range][data-output]")) {
      var out = document.getElementById(input.getAttribute("data-output"));
      if (out) { out.textContent = Number(input.value).toFixed(2).replace(/\.?0+$/, ""); }
    }
  });

  function queueItem(list, name, label) {
    var item = document.createElement("li");
    item.setAttribute("data-testid", "upload-item");
    var text = document.createElement("span");
    text.textContent = label.replace("%{name}", name);
    var bar = document.createElement("progress");
    bar.max = 1; bar.value = 0;
    bar.setAttribute("data-testid", "upload-progress");
    item.appendChild(text); item.appendChild(bar);
    list.appendChild(item);
    return { item: item, bar: bar, text: text };
  }

  function send(form, file, row) {
    return new Promise(function (resolve) {
      var xhr = new XMLHttpRequest();
      var url = form.getAttribute("data-upload-url") + "&filename=" + encodeURIComponent(file.name);
      xhr.open("POST", url);
      xhr.setRequestHeader("X-CSRFToken", cookie("csrftoken"));
      xhr.setRequestHeader("Content-Type", "application/octet-stream");
      xhr.upload.addEventListener("progress", function (e) {
        if (e.lengthComputable) { row.bar.value = e.loaded / e.total; }
      });
      xhr.addEventListener("load", function () {
        var body = {};
        try { body = JSON.parse(xhr.responseText); } catch (err) { body = {}; }
        if (xhr.status === 201 && body.id) { row.bar.value = 1; resolve(body.id); return; }
        row.item.classList.add("field-error");
        row.text.textContent = file.name + ": " + ((body.error && body.error.message) || xhr.statusText);
        resolve(null);
      });
      xhr.addEventListener("error", function () { row.item.classList.add("field-error"); resolve(null); });
      xhr.send(file);
    });
  }

  function claim(form, uploadId) {
    var data = new URLSearchParams();
    data.set("upload_id", uploadId);
    data.set("_csrf_token", form.querySelector("input[name=_csrf_token]").value);
    return fetch(form.getAttribute("data-claim-url"), {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { "HX-Request": "true", "X-CSRFToken": cookie("csrftoken") },
    }).then(function (response) { return response.text(); });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches("form[data-upload]") || !window.XMLHttpRequest) { return; }
    var input = form.querySelector("input[type=file]");
    if (!input || !input.files.length) { return; }  // the server says "choose a file"
    event.preventDefault();
    var list = document.getElementById("upload-queue");
    var rows = document.getElementById("asset-rows");
    var label = form.getAttribute("data-uploading-label");
    var files = Array.prototype.slice.call(input.files);
    files.reduce(function (previous, file) {
      return previous.then(function () {
        var row = queueItem(list, file.name, label);
        return send(form, file, row).then(function (uploadId) {
          if (!uploadId) { return; }
          return claim(form, uploadId).then(function (html) {
            row.item.remove();
            if (rows) {
              rows.insertAdjacentHTML("afterbegin", html);
              if (window.htmx) { window.htmx.process(rows.firstElementChild); }
              var empty = document.querySelector("[data-testid=library-empty]");
              if (empty) { empty.remove(); }
            }
          });
        });
      });
    }, Promise.resolve()).then(function () {
      input.value = "";
      // Redraw the list from the server, so its count includes the new sounds.
      if (window.htmx && rows && document.getElementById("library")) {
        window.htmx.ajax("GET", window.location.href, { target: "#library", select: "#library", swap: "outerHTML" });
      }
    });
  });
})();
