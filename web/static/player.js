// The player: one <audio> element in the persistent mini-player (outside #main, so hx-boost
// navigation never reloads it) — or in the embed page — driven by any [data-play] button.
// It draws progress on waveforms, seeks on click, and reports a play once the listener passes the
// track's threshold. The server decides what counts (token age, one per listener per half hour).
(function () {
  "use strict";

  var state = null; // the loaded track: {track, token, threshold, source, listened, last, reported, pending}
  var embed = document.body && document.body.hasAttribute("data-embed");

  function audio() { return document.getElementById("cadenza-audio"); }
  function all(selector) { return Array.prototype.slice.call(document.querySelectorAll(selector)); }

  function clock(seconds) {
    var s = Math.max(0, Math.floor(seconds || 0));
    return Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0");
  }

  function duration() {
    var a = audio();
    if (a && isFinite(a.duration) && a.duration > 0) { return a.duration; }
    return state ? state.duration : 0;
  }

  function load(button, startAt) {
    var a = audio();
    if (!a) { return; }
    if (state && state.retry) { clearTimeout(state.retry); }
    state = {
      track: button.getAttribute("data-track"),
      token: button.getAttribute("data-token"),
      threshold: parseFloat(button.getAttribute("data-threshold")) || 30,
      duration: parseFloat(button.getAttribute("data-duration")) || 0,
      source: embed ? "embed" : (button.getAttribute("data-source") || "page"),
      title: button.getAttribute("data-title") || "",
      artist: button.getAttribute("data-artist") || "",
      href: button.getAttribute("data-href") || "#",
      listened: 0, last: null, reported: false, pending: false, retry: null
    };
    a.src = button.getAttribute("data-src");
    if (startAt > 0) {
      a.addEventListener("loadedmetadata", function once() {
        a.removeEventListener("loadedmetadata", once);
        a.currentTime = Math.min(startAt, duration());
      });
    }
    showMini();
    var playing = a.play();
    if (playing && playing.catch) { playing.catch(function () { paint(); }); }
  }

  function toggle() {
    var a = audio();
    if (!a || !state) { return; }
    if (a.paused) { a.play(); } else { a.pause(); }
  }

  function seek(track, seconds) {
    var a = audio();
    if (!a) { return; }
    if (state && state.track === track) {
      a.currentTime = Math.max(0, Math.min(seconds, duration() || seconds));
      if (a.paused) { a.play(); }
      return;
    }
    var button = document.querySelector('[data-play][data-track="' + track + '"]');
    if (button) { load(button, seconds); }
  }

  function showMini() {
    var mini = document.getElementById("mini-player");
    if (!mini || embed || !state) { return; }
    mini.hidden = false;
    // htmx boosts a link when it first sees it, with the address it had then: a new link element,
    // processed now, keeps navigation to the playing track boosted (and the music playing).
    var old = mini.querySelector("[data-player-link]");
    var link = old.cloneNode(false);
    link.textContent = state.title;
    link.setAttribute("href", state.href);
    old.replaceWith(link);
    if (window.htmx) { window.htmx.process(link); }
    mini.querySelector("[data-player-artist]").textContent = state.artist;
    document.body.classList.add("has-player");
  }

  // Draw where we are on everything that shows the loaded track (after every swap too).
  function paint() {
    var a = audio();
    var playing = !!(a && state && !a.paused);
    all("[data-play]").forEach(function (button) {
      var mine = state && button.getAttribute("data-track") === state.track;
      button.classList.toggle("playing", !!(mine && playing));
      button.setAttribute("aria-pressed", mine && playing ? "true" : "false");
    });
    all("[data-player-toggle]").forEach(function (button) { button.classList.toggle("playing", playing); });
    if (!state || !a) { return; }
    var time = a.currentTime || 0;
    var length = duration();
    var fraction = length ? Math.min(1, time / length) : 0;
    all('svg[data-waveform][data-track="' + state.track + '"]').forEach(function (svg) {
      var width = svg.viewBox.baseVal ? svg.viewBox.baseVal.width : 0;
      var rect = svg.querySelector(".wf-progress");
      if (rect) { rect.setAttribute("width", String(width * fraction)); }
      svg.setAttribute("aria-valuenow", String(Math.round(time)));
    });
    all('[data-time-for="' + state.track + '"]').forEach(function (node) { node.textContent = clock(time); });
    var range = document.querySelector("[data-player-seek]");
    if (range && document.activeElement !== range) { range.value = String(fraction * 100); }
    var label = document.querySelector("[data-player-time]");
    if (label) { label.textContent = clock(time) + " / " + clock(length); }
  }

  function bump(track) {
    all('[data-play-count="' + track + '"]').forEach(function (node) {
      var next = (parseInt(node.getAttribute("data-count"), 10) || 0) + 1;
      node.setAttribute("data-count", String(next));
      var number = node.querySelector("[data-n]");
      if (number) { number.textContent = next.toLocaleString(document.documentElement.lang || undefined); }
    });
  }

  function later(current, seconds) {
    current.retry = setTimeout(function () { current.pending = false; if (state === current) { report(); } }, seconds * 1000);
  }

  function refreshToken(current) {
    var key = new URLSearchParams(window.location.search).get("k");
    return fetch("/plays/token", {
      method: "POST", credentials: "same-origin", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ track: current.track, key: key })
    }).then(function (response) { return response.ok ? response.json() : null; }).then(function (body) {
      if (body && body.token) { current.token = body.token; current.threshold = body.threshold || current.threshold; }
    });
  }

  function report() {
    var current = state;
    if (!current || current.reported || current.pending) { return; }
    current.pending = true;
    fetch("/plays", {
      method: "POST", credentials: "same-origin", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ token: current.token, source: current.source })
    }).then(function (response) { return response.json(); }).then(function (body) {
      if (body.counted) {
        current.reported = true;
        bump(current.track);
      } else if (body.reason === "too_early" || body.reason === "rate_limited") {
        later(current, Math.max(1, body.retryAfter || 5));
        return;
      } else if (body.reason === "expired" || body.reason === "invalid" || body.reason === "wrong_listener") {
        return refreshToken(current).then(function () { later(current, current.threshold); });
      } else {
        current.reported = true; // a repeat within the window, or this token already counted
      }
      current.pending = false;
    }).catch(function () { later(current, 5); });
  }

  function onTime() {
    var a = audio();
    if (!a || !state) { return; }
    var now = a.currentTime;
    if (!a.paused && state.last !== null) {
      var step = now - state.last;
      if (step > 0 && step < 1.5) { state.listened += step; }
    }
    state.last = now;
    paint();
    if (!state.reported && !state.pending && (state.listened >= state.threshold || now >= state.threshold)) {
      report();
    }
  }

  function wire() {
    var a = audio();
    if (!a || a.hasAttribute("data-wired")) { return; }
    a.setAttribute("data-wired", "");
    a.addEventListener("timeupdate", onTime);
    a.addEventListener("seeking", function () { if (state) { state.last = null; } });
    ["play", "pause", "ended", "loadedmetadata"].forEach(function (name) { a.addEventListener(name, paint); });
  }

  document.addEventListener("click", function (event) {
    var play = event.target.closest("[data-play]");
    if (play) {
      event.preventDefault();
      wire();
      if (state && state.track === play.getAttribute("data-track")) { toggle(); }
      else { load(play, parseFloat(play.getAttribute("data-start")) || 0); }
      return;
    }
    if (event.target.closest("[data-player-toggle]")) { toggle(); return; }
    var mark = event.target.closest("[data-seek]");
    if (mark) {
      event.preventDefault();
      wire();
      seek(mark.getAttribute("data-track"), parseFloat(mark.getAttribute("data-seek")) || 0);
      return;
    }
    var wave = event.target.closest("svg[data-waveform]");
    if (wave) {
      var box = wave.getBoundingClientRect();
      var length = parseFloat(wave.getAttribute("data-duration")) || duration();
      var track = wave.getAttribute("data-track");
      wire();
      seek(track, Math.max(0, (event.clientX - box.left) / box.width) * length);
    }
  });

  document.addEventListener("keydown", function (event) {
    var wave = event.target.closest && event.target.closest("svg[data-waveform]");
    if (!wave || !state || wave.getAttribute("data-track") !== state.track) { return; }
    var a = audio();
    if (event.key === "ArrowRight") { a.currentTime = Math.min(duration(), a.currentTime + 5); event.preventDefault(); }
    if (event.key === "ArrowLeft") { a.currentTime = Math.max(0, a.currentTime - 5); event.preventDefault(); }
    if (event.key === " " || event.key === "Enter") { toggle(); event.preventDefault(); }
  });

  document.addEventListener("input", function (event) {
    if (event.target.matches && event.target.matches("[data-player-seek]") && state) {
      audio().currentTime = (parseFloat(event.target.value) / 100) * duration();
    }
  });

  // A boosted navigation brought new buttons and waveforms: show the playing track on them.
  document.addEventListener("htmx:afterSettle", paint);
  document.addEventListener("DOMContentLoaded", wire);
  wire();

  window.CadenzaPlayer = {
    position: function (track) {
      var a = audio();
      return state && a && state.track === track ? a.currentTime : null;
    },
    clock: clock
  };
})();
