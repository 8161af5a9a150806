// The studio's collaboration client: live edits, presence, comments, history and the voice call.
//
// One websocket to /graphql (graphql-transport-ws, signed in by the session cookie) carries the
// `projectEvents` subscription and every mutation, so the page uses exactly the partner API.
// Editing is classic client-side operational transformation (see backend/collab/transform.py):
//   doc/rev   the server's document at the last revision this page has seen,
//   inflight  at most one batch sent and not yet seen committed,
//   buffer    edits made since, sent when the in-flight batch is answered.
// A commit of someone else's is transformed against inflight and buffer; our own commit is
// recognised in the stream by its client batch id. The studio's forms still work without
// JavaScript; with it, their submissions become operations here instead of page posts.
(function () {
  "use strict";
  if (window.CadenzaCollab) { window.CadenzaCollab.scan(); return; }

  var HEARTBEAT_MS = 3000;
  var EVENTS = [
    "subscription($p: ID!, $c: String, $a: Int) { projectEvents(projectId: $p, clientId: $c, afterRevision: $a) {",
    "  __typename",
    "  ... on ProjectSynced { revision document role resumedFrom people { ...P } }",
    "  ... on OperationsCommitted { baseRevision revision batchId authorId operations }",
    "  ... on BatchDropped { authorId batchId revision count }",
    "  ... on PresenceChanged { left presence { ...P } }",
    "  ... on CommentChanged { change threadId commentId }",
    "  ... on CallSignal { kind payload fromUserId fromName fromClientId toClientId }",
    "  ... on MembershipChanged { membershipChange userId memberRole yourRole }",
    "  ... on SnapshotChanged { snapshotId deleted }",
    "  ... on AccessRevoked { projectId }",
    "} }",
    "fragment P on Presence { clientId initials color trackId clipId playhead inCall user { id displayName } }",
  ].join("\n");
  var SUBMIT = "mutation($p: ID!, $b: Int!, $o: [ProjectOperationInput!]!, $c: String!) { submitProjectOperations(" +
    "projectId: $p, baseRevision: $b, operations: $o, clientBatchId: $c) { revision operations resyncRequired errors { code message } } }";
  var PRESENCE = "mutation($p: ID!, $c: String!, $t: ID, $k: ID, $h: Float, $i: Boolean!) { updatePresence(" +
    "projectId: $p, clientId: $c, trackId: $t, clipId: $k, playhead: $h, inCall: $i) { revision errors { code } } }";
  var SIGNAL = "mutation($p: ID!, $u: ID!, $k: CallSignalKind!, $d: JSON!, $f: String!, $t: String) { sendCallSignal(" +
    "projectId: $p, toUserId: $u, kind: $k, payload: $d, fromClientId: $f, toClientId: $t) { delivered errors { code } } }";

  function randomId(length) {
    var alphabet = "abcdefghijklmnopqrstuvwxyz0123456789", out = "", bytes = new Uint8Array(length);
    (window.crypto || window.msCrypto).getRandomValues(bytes);
    for (var i = 0; i < length; i++) { out += alphabet[bytes[i] % alphabet.length]; }
    return out;
  }
  function format(text, params) {
    return String(text || "").replace(/%\{(\w+)\}/g, function (_, name) { return params && name in params ? params[name] : ""; });
  }
  function number(value) {
    // Like the studio's form handling: a decimal comma is fine; anything else goes to the server as is.
    if (value === null || value === undefined) { return null; }
    var parsed = Number(String(value).replace(",", "."));
    return String(value).trim() !== "" && isFinite(parsed) ? parsed : value;
  }
  function int(value, fallback) {
    var parsed = parseInt(value, 10);
    return isNaN(parsed) ? fallback : parsed;
  }
  function cssEscape(value) { return window.CSS && CSS.escape ? CSS.escape(value) : String(value).replace(/"/g, '\\"'); }

  // ------------------------------------------------------------------------- the session

  function Session(panel) {
    this.panel = panel;
    this.projectId = panel.getAttribute("data-project-id");
    this.viewerId = panel.getAttribute("data-viewer-id");
    this.role = panel.getAttribute("data-role");
    this.clientId = "tab-" + randomId(12);
    this.strings = JSON.parse(panel.getAttribute("data-i18n") || "{}");
    this.iceServers = JSON.parse(panel.getAttribute("data-ice-servers") || "[]");
    this.urls = {
      studio: panel.getAttribute("data-studio-url"),
      comments: panel.getAttribute("data-comments-url"),
      history: panel.getAttribute("data-history-url"),
    };
    this.doc = null; this.rev = null;
    this.inflight = null; this.inflightId = null; this.inflightBase = null; this.dropAt = null;
    this.buffer = []; this.replay = null;
    this.people = {};
    this.selection = { trackId: null, clipId: null, playhead: null };
    this.socket = null; this.nextId = 1; this.waiting = {}; this.subscription = null; this.retry = 0;
    this.renderOwed = false; this.rendering = false; this.closed = false;
    this.call = new Call(this);
    panel.__collab = this;
    this.listen();
    this.connect();
    var self = this;
    this.timer = setInterval(function () { self.tick(); }, HEARTBEAT_MS);
  }

  Session.prototype.t = function (key, params) { return format(this.strings[key] || key, params); };
  Session.prototype.alive = function () { return !this.closed && document.body.contains(this.panel); };
  Session.prototype.studio = function () { return document.getElementById("studio"); };
  Session.prototype.canEdit = function () { return this.role === "OWNER" || this.role === "EDITOR"; };

  Session.prototype.status = function (key, params, level) {
    var box = this.panel.querySelector("[data-testid=collab-status]");
    if (!box) { return; }
    box.textContent = this.t(key, params);
    box.setAttribute("data-state", level || key);
  };

  Session.prototype.notice = function (message) {
    var box = this.panel.querySelector("[data-testid=collab-notice]");
    if (!box) { return; }
    box.textContent = message;
    box.hidden = !message;
  };

  // ------------------------------------------------------------------------- transport

  Session.prototype.connect = function () {
    var self = this;
    var url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/graphql";
    var socket = new WebSocket(url, "graphql-transport-ws");
    this.socket = socket;
    this.status("live.connecting", null, "connecting");
    socket.onopen = function () {
      socket.send(JSON.stringify({ type: "connection_init", payload: { locale: document.documentElement.lang } }));
    };
    socket.onmessage = function (message) { self.receive(JSON.parse(message.data)); };
    socket.onclose = function () {
      Object.keys(self.waiting).forEach(function (id) { self.waiting[id].reject(new Error("closed")); });
      self.waiting = {};
      self.subscription = null;
      if (self.closed || !self.alive()) { return; }
      self.status("live.offline", null, "offline");
      self.retry = Math.min(self.retry + 1, 5);
      setTimeout(function () { if (self.alive()) { self.connect(); } }, 500 * self.retry);
    };
  };

  Session.prototype.send = function (message) {
    if (this.socket && this.socket.readyState === WebSocket.OPEN) { this.socket.send(JSON.stringify(message)); }
  };

  Session.prototype.request = function (query, variables) {
    var self = this, id = "m" + this.nextId++;
    return new Promise(function (resolve, reject) {
      self.waiting[id] = { resolve: resolve, reject: reject };
      self.send({ id: id, type: "subscribe", payload: { query: query, variables: variables } });
    });
  };

  Session.prototype.subscribe = function (resume) {
    if (this.subscription) { this.send({ id: this.subscription, type: "complete" }); }
    this.subscription = "s" + this.nextId++;
    this.resuming = resume;
    this.send({
      id: this.subscription, type: "subscribe",
      payload: { query: EVENTS, variables: { p: this.projectId, c: this.clientId, a: resume ? this.rev : null } },
    });
  };

  Session.prototype.receive = function (message) {
    if (message.type === "connection_ack") {
      this.retry = 0;
      this.subscribe(this.rev !== null);
      return;
    }
    if (message.type === "ping") { this.send({ type: "pong" }); return; }
    var waiter = this.waiting[message.id];
    if (waiter) {
      if (message.type === "next") { delete this.waiting[message.id]; waiter.resolve(message.payload); }
      else if (message.type === "error") { delete this.waiting[message.id]; waiter.reject(message.payload); }
      return;
    }
    if (message.id !== this.subscription) { return; }
    if (message.type === "next") {
      if (message.payload.errors) { this.revoked(); return; }
      this.event(message.payload.data.projectEvents);
    } else if (message.type === "error" || message.type === "complete") {
      this.subscription = null;
    }
  };

  // ------------------------------------------------------------------------- events

  Session.prototype.event = function (event) {
    switch (event.__typename) {
      case "ProjectSynced": return this.synced(event);
      case "OperationsCommitted": return this.committed(event);
      case "BatchDropped": if (event.authorId === this.viewerId) { this.dropped(event.batchId, event.revision); } return;
      case "PresenceChanged": return this.presence(event);
      case "CommentChanged": return this.refresh("comments");
      case "SnapshotChanged": return this.refresh("history");
      case "CallSignal": return this.call.signal(event);
      case "MembershipChanged": return this.membership(event);
      case "AccessRevoked": return this.revoked();
    }
  };

  Session.prototype.synced = function (event) {
    var self = this;
    this.status("live.live", null, "live");
    this.people = {};
    (event.people || []).forEach(function (p) { self.people[p.user.id + ":" + p.clientId] = p; });
    this.drawPresence();
    if (this.role !== event.role && this.rev !== null) { return this.roleChanged(); }
    this.role = event.role;
    if (event.resumedFrom !== null && event.resumedFrom === this.rev) {
      // Back after a drop: the commits we missed follow. An answer to our batch may have been
      // lost: sending it again is safe (the client batch id makes it idempotent).
      if (this.inflight) { this.sendBatch(this.inflight, this.inflightId, this.inflightBase); }
      return;
    }
    this.doc = event.document; this.rev = event.revision;
    this.inflight = null; this.inflightId = null; this.dropAt = null;
    this.buffer = this.replayed();
    this.flush();
    this.owe();
    this.tick();
  };

  Session.prototype.view = function () {
    return CadenzaOT.applyAll(CadenzaOT.applyAll(this.doc, this.inflight || []), this.buffer);
  };

  Session.prototype.committed = function (event) {
    if (this.rev === null || event.revision <= this.rev) { return; }
    var ours = this.inflight && event.batchId === this.inflightId && event.authorId === this.viewerId;
    var before = this.doc;
    this.doc = CadenzaOT.applyAll(before, event.operations);
    this.rev = event.revision;
    if (ours) {
      this.inflight = null;
    } else {
      var remote = annotateAll(event.operations, before);
      if (this.inflight) {
        var a = CadenzaOT.transformBatches(this.inflight, remote);
        this.inflight = a[0]; remote = a[1];
      }
      var b = CadenzaOT.transformBatches(this.buffer, remote);
      this.buffer = b[0];
      this.patch(b[1]);
    }
    this.settle();
    this.owe();
    this.refresh("history");
  };

  // Committed removals name their object by id: the document before them says where it was.
  function annotateAll(ops, doc) {
    var list = [];
    ops.forEach(function (op) {
      list.push(CadenzaOT.annotate(op, doc));
      try { doc = CadenzaOT.apply(doc, op); } catch (err) { /* the server's order always fits */ }
    });
    return list;
  }

  Session.prototype.dropped = function (batchId, revision) {
    if (batchId !== this.inflightId) { return; }
    this.dropAt = revision;
    this.settle();
  };

  // A batch the server dropped (all of it meaningless by then) is done once we have caught up to
  // where it was dropped: by then our own transformation has emptied it too.
  Session.prototype.settle = function () {
    if (this.inflight && this.dropAt !== null && this.rev >= this.dropAt) {
      this.inflight = null; this.dropAt = null;
    }
    if (!this.inflight) { this.flush(); }
  };

  Session.prototype.presence = function (event) {
    var p = event.presence, key = p.user.id + ":" + p.clientId;
    if (event.left) { delete this.people[key]; } else { p.seenAt = Date.now(); this.people[key] = p; }
    this.drawPresence();
    this.call.peopleChanged();
  };

  Session.prototype.membership = function (event) {
    this.refresh("panel");
    if (event.yourRole && event.yourRole !== this.role) { this.roleChanged(); }
  };

  Session.prototype.roleChanged = function () {
    this.notice(this.t("live.role_changed"));
    this.close();
    setTimeout(function () { location.reload(); }, 800);
  };

  Session.prototype.revoked = function () {
    this.notice(this.t("live.revoked"));
    this.status("live.revoked", null, "revoked");
    var studio = this.studio();
    if (studio) { studio.setAttribute("inert", ""); studio.classList.add("revoked"); }
    this.close();
  };

  Session.prototype.close = function () {
    this.closed = true;
    clearInterval(this.timer);
    this.call.leave();
    if (this.socket) { try { this.socket.close(); } catch (err) { /* already closed */ } }
  };

  // ------------------------------------------------------------------------- local edits

  Session.prototype.edit = function (ops) {
    if (!ops.length || this.doc === null) { return; }
    var view = this.view(), annotated = [];
    ops.forEach(function (op) {
      annotated.push(CadenzaOT.annotate(op, view));
      try { view = CadenzaOT.apply(view, op); } catch (err) { /* invalid: the server will say why */ }
    });
    this.buffer = this.buffer.concat(annotated);
    this.flush();
  };

  Session.prototype.flush = function () {
    if (this.inflight || !this.buffer.length || this.rev === null) { return; }
    this.inflight = this.buffer; this.buffer = [];
    this.inflightId = "b" + this.clientId.slice(4) + randomId(8);
    this.inflightBase = this.rev;
    this.sendBatch(this.inflight, this.inflightId, this.inflightBase);
  };

  Session.prototype.sendBatch = function (batch, batchId, base) {
    var self = this;
    var operations = batch.map(function (op) {
      var payload = {};
      Object.keys(op).forEach(function (k) { if (k !== "kind" && k !== "rescue") { payload[k] = op[k]; } });
      return { kind: op.kind.toUpperCase(), payload: payload };
    });
    this.request(SUBMIT, { p: this.projectId, b: base, o: operations, c: batchId }).then(function (result) {
      var answer = result.data && result.data.submitProjectOperations;
      if (!answer || batchId !== self.inflightId) { return; }
      if (answer.errors && answer.errors.length) {
        var busy = answer.errors[0].code === "BUSY";
        if (busy) { setTimeout(function () { if (batchId === self.inflightId) { self.sendBatch(batch, batchId, base); } }, 300); return; }
        self.notice(self.t("live.refused", { message: answer.errors[0].message }));
        self.resync();
        return;
      }
      // Everything became meaningless: no commit will come; done once we reach that revision.
      if (answer.operations && answer.operations.length === 0) { self.dropped(batchId, answer.revision); }
    }, function () { /* the connection dropped: resent after reconnecting */ });
  };

  // Start again from the server's document. The refused batch is gone (with a notice); edits made
  // after it are tried again on the fresh document, and those that still make sense are sent.
  Session.prototype.resync = function () {
    this.replay = this.buffer;
    this.inflight = null; this.inflightId = null; this.buffer = []; this.rev = null; this.dropAt = null;
    this.subscribe(false);
  };

  Session.prototype.replayed = function () {
    var view = this.doc, kept = [];
    (this.replay || []).forEach(function (op) {
      try { view = CadenzaOT.apply(view, op); kept.push(op); } catch (err) { /* depended on the refused batch */ }
    });
    this.replay = null;
    return kept;
  };

  // ------------------------------------------------------------------------- the studio's forms

  Session.prototype.formOperations = function (form) {
    var data = {}, view = this.view();
    new FormData(form).forEach(function (value, key) { data[key] = String(value); });
    var kind = data.op || "", trackId = data.track_id || "", target = data.target || "";
    function bool(name) { return ["true", "on", "1"].indexOf(data[name] || "") !== -1; }
    function setValue(field, raw) {
      if (field === "mute" || field === "solo") { return bool("value"); }
      if (["tempo", "gain_db", "pan", "start", "offset", "length", "fade_in", "fade_out"].indexOf(field) !== -1) { return number(raw); }
      return raw;
    }
    var index, chain, op;
    switch (kind) {
      case "set_project":
        if (data.field === "time_signature") { return [{ kind: kind, field: data.field, value: [int(data.beats, 4), int(data.beat_unit, 4)] }]; }
        if (data.field === "sample_rate") { return [{ kind: kind, field: data.field, value: int(data.value, 0) }]; }
        return [{ kind: kind, field: data.field, value: setValue(data.field, data.value) }];
      case "add_tracks":
        var count = Math.max(1, Math.min(int(data.count, 1), 64)), start = view.tracks.length, ops = [];
        var name = (data.name || "").split(/\s+/).filter(Boolean).join(" ");
        for (var i = 0; i < count; i++) {
          var label = name ? (count > 1 ? name + " " + (i + 1) : name) : this.t("studio.default_track", { number: start + i + 1 });
          ops.push({ kind: "add_track", index: start + i, track: { id: "trk_" + randomId(12), name: label } });
        }
        return ops;
      case "remove_track": return [{ kind: kind, track_id: trackId }];
      case "move_track":
        // The page may show an older order than ours: move by one from where the track is now.
        index = view.tracks.map(function (t) { return t.id; }).indexOf(trackId);
        if (index < 0) { return [{ kind: kind, track_id: trackId, from_index: int(data.from_index, 0), to_index: int(data.to_index, 0) }]; }
        var step = int(data.to_index, 0) < int(data.from_index, 0) ? -1 : 1;
        return [{ kind: kind, track_id: trackId, from_index: index, to_index: Math.max(0, Math.min(view.tracks.length - 1, index + step)) }];
      case "set_track": return [{ kind: kind, track_id: trackId, field: data.field, value: setValue(data.field, data.value) }];
      case "add_effect": return [{ kind: kind, target: target, effect: { id: "fx_" + randomId(12), type: data.type || "" } }];
      case "remove_effect": return [{ kind: kind, target: target, effect_id: data.effect_id }];
      case "move_effect":
        chain = target === "master" ? view.master.effects : ((view.tracks.filter(function (t) { return t.id === target; })[0] || {}).effects || []);
        index = chain.map(function (e) { return e.id; }).indexOf(data.effect_id);
        if (index < 0) { return [{ kind: kind, target: target, effect_id: data.effect_id, from_index: int(data.from_index, 0), to_index: int(data.to_index, 0) }]; }
        return [{ kind: kind, target: target, effect_id: data.effect_id, from_index: index, to_index: Math.max(0, index - 1) }];
      case "set_effect_param":
        return [{ kind: kind, target: target, effect_id: data.effect_id, param: data.param, value: data.choice ? data.value : number(data.value) }];
      case "set_effect_bypass": return [{ kind: kind, target: target, effect_id: data.effect_id, bypass: bool("value") }];
      case "add_clip":
        return [{ kind: kind, track_id: trackId, clip: { id: "clp_" + randomId(12), asset_id: data.asset_id || "", start: number(data.start || "0") } }];
      case "edit_clip": return this.clipEdits(data, view);
      case "remove_clip": return [{ kind: kind, track_id: trackId, clip_id: data.clip_id }];
      case "set_master":
        return [{ kind: kind, field: data.field, value: data.field === "mastering" ? (data.value || null) : number(data.value) }];
    }
    op = { kind: kind };
    return [op];
  };

  // One clip form holds position, trim, gain and fades: send only what changed (as the page does).
  Session.prototype.clipEdits = function (data, view) {
    var track = view.tracks.filter(function (t) { return t.id === data.track_id; })[0];
    var clip = track ? track.clips.filter(function (c) { return c.id === data.clip_id; })[0] : null;
    if (!clip) { return [{ kind: "remove_clip", track_id: data.track_id, clip_id: data.clip_id }]; }
    var values = {}, ops = [], ref = { track_id: data.track_id, clip_id: data.clip_id };
    ["start", "offset", "length", "gain_db", "fade_in", "fade_out"].forEach(function (name) {
      values[name] = data[name] === undefined ? null : number(data[name]);
    });
    function changed(name) { return values[name] !== null && values[name] !== clip[name]; }
    function extend(extra) { var out = {}, k; for (k in ref) { out[k] = ref[k]; } for (k in extra) { out[k] = extra[k]; } return out; }
    if (changed("offset") || changed("length")) {
      ops.push(extend({ kind: "trim_clip", offset: values.offset !== null ? values.offset : clip.offset, length: values.length !== null ? values.length : clip.length }));
    }
    var fades = ["gain_db", "fade_in", "fade_out"].filter(changed).map(function (name) {
      return extend({ kind: "set_clip", field: name, value: values[name] });
    });
    var shrinking = typeof values.length === "number" && values.length < clip.length;
    ops = shrinking ? fades.concat(ops) : ops.concat(fades);
    if (changed("start")) { ops.push(extend({ kind: "move_clip", to_track_id: data.track_id, start: values.start })); }
    return ops;
  };

  Session.prototype.listen = function () {
    var self = this;
    this.onRequest = function (event) {
      var form = event.detail && event.detail.elt;
      var studio = self.studio();
      if (!self.alive() || !form || !studio || !form.matches || !form.matches("form.op-form") || !studio.contains(form)) { return; }
      if (self.doc === null) { return; }  // not connected yet: the plain form post still works
      event.preventDefault();
      if (!self.canEdit()) { self.notice(self.t("live.read_only")); return; }
      self.notice("");
      self.edit(self.formOperations(form));
    };
    document.addEventListener("htmx:beforeRequest", this.onRequest, true);
    this.onFocus = function (event) {
      if (!self.alive()) { return; }
      var track = event.target.closest && event.target.closest("[data-track-id]");
      var clip = event.target.closest && event.target.closest("[data-clip-id]");
      var next = { trackId: track ? track.getAttribute("data-track-id") : null, clipId: clip ? clip.getAttribute("data-clip-id") : null };
      if (!track && !clip) { return; }
      if (next.trackId !== self.selection.trackId || next.clipId !== self.selection.clipId) {
        self.selection.trackId = next.trackId; self.selection.clipId = next.clipId;
        self.heartbeat();
      }
    };
    document.addEventListener("focusin", this.onFocus);
    document.addEventListener("click", this.onFocus);
    this.onSwap = function (event) {
      if (!self.alive() && !self.closed) { self.close(); return; }
      var target = event.detail && event.detail.target;
      if (target && target.id === "studio") { self.drawPresence(); }
    };
    document.addEventListener("htmx:afterSettle", this.onSwap);
    this.onTime = function (event) {
      if (event.target && event.target.matches && event.target.matches("[data-testid=mix-player]")) {
        self.selection.playhead = Math.round(event.target.currentTime * 10) / 10;
      }
    };
    document.addEventListener("timeupdate", this.onTime, true);
    // The history is kept fresh only while it is open: opening it fetches what happened meanwhile.
    this.onToggle = function (event) {
      if (self.alive() && event.target.id === "collab-history-part" && event.target.open) { self.refresh("history"); }
    };
    document.addEventListener("toggle", this.onToggle, true);
  };

  // ------------------------------------------------------------------------- showing changes

  // Values changed by others show at once; the studio re-renders from the server once nothing of
  // ours is pending (a render then shows what the server has, which is what we have).
  Session.prototype.patch = function (ops) {
    var studio = this.studio();
    if (!studio) { return; }
    ops.forEach(function (op) {
      var box = null, input = null;
      if (op.kind === "set_track") {
        box = studio.querySelector('[data-track-id="' + cssEscape(op.track_id) + '"]');
        input = box && box.querySelector("[data-testid=track-" + { gain_db: "gain", name: "name", color: "color", pan: "pan", mute: "mute", solo: "solo" }[op.field] + "]");
      } else if (op.kind === "set_effect_param") {
        box = studio.querySelector('[data-effect-id="' + cssEscape(op.effect_id) + '"]');
        input = box && box.querySelector("[data-testid=param-" + op.param + "]");
      }
      if (!input || input === document.activeElement) { return; }
      // The collaborator's value replaces anything this person had changed and not sent.
      if (input.type === "checkbox") { input.checked = !!op.value; } else { input.value = op.value; }
      input.removeAttribute("data-unsent");
      var out = input.getAttribute("data-output") && document.getElementById(input.getAttribute("data-output"));
      if (out) { out.textContent = Number(op.value).toFixed(2).replace(/\.?0+$/, ""); }
    });
  };

  Session.prototype.owe = function () { this.renderOwed = true; this.render(); };

  Session.prototype.render = function () {
    var self = this, studio = this.studio();
    if (!this.renderOwed || this.rendering || !studio || !window.htmx) { return; }
    if (this.inflight || this.buffer.length) { return; }  // after our answer: then it all shows
    var busy = document.activeElement && studio.contains(document.activeElement) &&
      document.activeElement.matches("input:not([type=checkbox]):not([type=range]), select, textarea") &&
      document.activeElement.value !== document.activeElement.defaultValue;
    if (busy || this.dragging) { setTimeout(function () { self.render(); }, 400); return; }
    this.renderOwed = false; this.rendering = true;
    var focused = document.activeElement && document.activeElement.id;
    htmx.ajax("GET", this.urls.studio, { target: "#studio", select: "#studio", swap: "outerHTML" }).then(function () {
      self.rendering = false;
      if (focused && document.getElementById(focused)) { document.getElementById(focused).focus({ preventScroll: true }); }
      self.drawPresence();
      if (self.renderOwed) { self.render(); }
    }, function () { self.rendering = false; });
  };

  Session.prototype.refresh = function (part) {
    var self = this;
    if (!window.htmx || !this.alive()) { return; }
    if (part === "panel") { part = "comments"; }
    clearTimeout(this["refresh_" + part]);
    this["refresh_" + part] = setTimeout(function () {
      var box = self.panel.querySelector("#collab-" + part);
      if (!box || (box.closest("details") && !box.closest("details").open && part === "history")) { return; }
      if (box.contains(document.activeElement) && document.activeElement.value) { return self.refresh(part); }
      htmx.ajax("GET", self.urls[part], { target: "#collab-" + part, select: "#collab-" + part, swap: "outerHTML" });
    }, part === "history" ? 700 : 100);
  };

  Session.prototype.drawPresence = function () {
    var self = this, list = this.panel.querySelector("[data-testid=presence-list]"), studio = this.studio();
    if (!list) { return; }
    var now = Date.now(), byUser = {};
    Object.keys(this.people).forEach(function (key) {
      var p = self.people[key];
      if (p.seenAt && now - p.seenAt > 9000) { delete self.people[key]; return; }
      if (p.user.id === self.viewerId && p.clientId === self.clientId) { return; }
      byUser[p.user.id] = byUser[p.user.id] || p;
    });
    list.innerHTML = "";
    var users = Object.keys(byUser);
    users.forEach(function (id) {
      var p = byUser[id], item = document.createElement("li"), avatar = document.createElement("span");
      item.setAttribute("data-testid", "presence-avatar");
      item.setAttribute("data-user-id", id);
      avatar.className = "avatar";
      avatar.style.setProperty("--presence-color", p.color);
      avatar.textContent = p.initials;
      avatar.title = p.user.displayName;
      item.appendChild(avatar);
      var note = document.createElement("span");
      note.className = "presence-note";
      var track = p.trackId && self.doc ? (self.doc.tracks.filter(function (t) { return t.id === p.trackId; })[0] || null) : null;
      note.textContent = track ? self.t("presence.touching_track", { name: p.user.displayName, track: track.name })
        : p.clipId ? self.t("presence.touching_clip", { name: p.user.displayName }) : p.user.displayName;
      if (p.inCall) { note.textContent += " · " + self.t("presence.in_call"); }
      item.appendChild(note);
      list.appendChild(item);
    });
    var alone = this.panel.querySelector("[data-testid=presence-alone]");
    if (alone) { alone.hidden = users.length > 0; }
    if (!studio) { return; }
    studio.querySelectorAll("[data-touched-by]").forEach(function (el) {
      el.removeAttribute("data-touched-by"); el.style.removeProperty("--touch-color");
    });
    users.forEach(function (id) {
      var p = byUser[id], selector = p.clipId ? '[data-clip-id="' + cssEscape(p.clipId) + '"]' : p.trackId ? '[data-track-id="' + cssEscape(p.trackId) + '"]' : null;
      if (!selector) { return; }
      studio.querySelectorAll(selector).forEach(function (el) {
        el.setAttribute("data-touched-by", p.user.displayName);
        el.style.setProperty("--touch-color", p.color);
      });
    });
  };

  Session.prototype.heartbeat = function () {
    if (!this.subscription || this.closed) { return; }
    var self = this, sel = this.selection;
    var now = Date.now();
    if (this.lastBeat && now - this.lastBeat < 250) {
      clearTimeout(this.beatLater);
      this.beatLater = setTimeout(function () { self.heartbeat(); }, 260);
      return;
    }
    this.lastBeat = now;
    this.request(PRESENCE, { p: this.projectId, c: this.clientId, t: sel.trackId, k: sel.clipId, h: sel.playhead, i: this.call.active() })
      .then(function (result) {
        var answer = result.data && result.data.updatePresence;
        // A heartbeat's answer names the revision: far ahead of ours for long means a lost event.
        if (answer && answer.revision !== null && self.rev !== null && answer.revision > self.rev && !self.inflight) {
          self.behind = (self.behind || 0) + 1;
          if (self.behind >= 3) { self.behind = 0; self.subscribe(true); }
        } else { self.behind = 0; }
      }, function () {});
  };

  Session.prototype.tick = function () {
    if (!this.alive()) { if (!this.closed) { this.close(); } return; }
    this.heartbeat();
    this.drawPresence();
  };

  // ------------------------------------------------------------------------- the voice call

  function Call(session) {
    this.session = session; this.stream = null; this.peers = {}; this.joined = false;
  }

  Call.prototype.active = function () { return this.joined; };
  Call.prototype.box = function () { return this.session.panel.querySelector("[data-testid=call-panel]"); };

  Call.prototype.join = function () {
    var self = this, s = this.session;
    if (this.joined) { return; }
    var media = navigator.mediaDevices && navigator.mediaDevices.getUserMedia ? navigator.mediaDevices.getUserMedia({ audio: true, video: false }) : Promise.reject(new Error("no media"));
    media.then(function (stream) {
      self.stream = stream; self.joined = true;
      self.draw();
      s.heartbeat();
      self.peopleChanged();
    }, function () { s.notice(s.t("call.no_microphone")); });
  };

  Call.prototype.leave = function () {
    var self = this;
    Object.keys(this.peers).forEach(function (key) {
      var peer = self.peers[key];
      self.session.request(SIGNAL, { p: self.session.projectId, u: peer.userId, k: "HANGUP", d: {}, f: self.session.clientId, t: peer.clientId }).catch(function () {});
      peer.pc.close();
    });
    this.peers = {};
    if (this.stream) { this.stream.getTracks().forEach(function (track) { track.stop(); }); }
    this.stream = null;
    var was = this.joined;
    this.joined = false;
    this.draw();
    if (was && !this.session.closed) { this.session.heartbeat(); }
  };

  // Whoever has the smaller client id calls: two people joining at once never both offer.
  Call.prototype.peopleChanged = function () {
    if (!this.joined) { return; }
    var self = this, s = this.session;
    Object.keys(s.people).forEach(function (key) {
      var p = s.people[key];
      if (p.user.id === s.viewerId && p.clientId === s.clientId) { return; }
      if (p.inCall && !self.peers[key] && s.clientId < p.clientId) { self.offer(p.user.id, p.clientId, p.user.displayName); }
      if (!p.inCall && self.peers[key]) { self.drop(key); }
    });
    Object.keys(this.peers).forEach(function (key) { if (!s.people[key]) { self.drop(key); } });
    this.draw();
  };

  Call.prototype.peer = function (userId, clientId, name) {
    var self = this, s = this.session, key = userId + ":" + clientId;
    if (this.peers[key]) { return this.peers[key]; }
    var pc = new RTCPeerConnection({ iceServers: s.iceServers });
    var peer = { pc: pc, userId: userId, clientId: clientId, name: name, channel: null, pending: [], state: "connecting" };
    this.peers[key] = peer;
    if (this.stream) { this.stream.getTracks().forEach(function (track) { pc.addTrack(track, self.stream); }); }
    pc.onicecandidate = function (event) {
      if (event.candidate) { self.send(peer, "ICE", { candidate: event.candidate.toJSON() }); }
    };
    pc.ontrack = function (event) {
      var audio = self.box() && self.box().querySelector('audio[data-peer="' + cssEscape(key) + '"]');
      if (!audio && self.box()) {
        audio = document.createElement("audio");
        audio.autoplay = true;
        audio.setAttribute("data-peer", key);
        self.box().appendChild(audio);
      }
      if (audio) { audio.srcObject = event.streams[0]; }
    };
    pc.onconnectionstatechange = function () {
      peer.state = pc.connectionState === "connected" ? "connected" : pc.connectionState === "failed" ? "failed" : peer.state;
      self.draw();
    };
    pc.ondatachannel = function (event) { self.channel(peer, event.channel); };
    return peer;
  };

  Call.prototype.channel = function (peer, channel) {
    var self = this;
    peer.channel = channel;
    channel.onmessage = function (event) {
      var message;
      try { message = JSON.parse(event.data); } catch (err) { return; }
      if (message && message.type === "note") { self.note(peer.name, String(message.text || "").slice(0, 500)); }
    };
    channel.onopen = function () { peer.open = true; self.draw(); };
  };

  Call.prototype.offer = function (userId, clientId, name) {
    var self = this, peer = this.peer(userId, clientId, name);
    this.channel(peer, peer.pc.createDataChannel("cadenza"));
    peer.pc.createOffer().then(function (offer) { return peer.pc.setLocalDescription(offer); }).then(function () {
      self.send(peer, "OFFER", { sdp: peer.pc.localDescription.sdp, type: peer.pc.localDescription.type });
    });
  };

  Call.prototype.signal = function (event) {
    var self = this, s = this.session, key = event.fromUserId + ":" + event.fromClientId;
    if (event.kind === "HANGUP") { this.drop(key); return; }
    if (!this.joined) { return; }
    var known = s.people[key], name = event.fromName || (known ? known.user.displayName : "");
    var peer = this.peer(event.fromUserId, event.fromClientId, name);
    var pc = peer.pc;
    if (event.kind === "OFFER") {
      pc.setRemoteDescription(event.payload).then(function () {
        peer.pending.forEach(function (c) { pc.addIceCandidate(c).catch(function () {}); });
        peer.pending = [];
        return pc.createAnswer();
      }).then(function (answer) { return pc.setLocalDescription(answer); }).then(function () {
        self.send(peer, "ANSWER", { sdp: pc.localDescription.sdp, type: pc.localDescription.type });
      });
    } else if (event.kind === "ANSWER") {
      pc.setRemoteDescription(event.payload).then(function () {
        peer.pending.forEach(function (c) { pc.addIceCandidate(c).catch(function () {}); });
        peer.pending = [];
      });
    } else if (event.kind === "ICE" && event.payload && event.payload.candidate) {
      if (pc.remoteDescription) { pc.addIceCandidate(event.payload.candidate).catch(function () {}); }
      else { peer.pending.push(event.payload.candidate); }
    }
  };

  Call.prototype.send = function (peer, kind, payload) {
    var s = this.session;
    s.request(SIGNAL, { p: s.projectId, u: peer.userId, k: kind, d: payload, f: s.clientId, t: peer.clientId }).catch(function () {});
  };

  Call.prototype.drop = function (key) {
    var peer = this.peers[key];
    if (!peer) { return; }
    peer.pc.close();
    delete this.peers[key];
    var audio = this.box() && this.box().querySelector('audio[data-peer="' + cssEscape(key) + '"]');
    if (audio) { audio.remove(); }
    this.draw();
  };

  Call.prototype.say = function (text) {
    var self = this, sent = false;
    Object.keys(this.peers).forEach(function (key) {
      var channel = self.peers[key].channel;
      if (channel && channel.readyState === "open") { channel.send(JSON.stringify({ type: "note", text: text })); sent = true; }
    });
    if (sent) { this.note(this.session.t("presence.you"), text); }
  };

  Call.prototype.note = function (who, text) {
    var list = this.box() && this.box().querySelector("[data-testid=call-messages]");
    if (!list) { return; }
    var item = document.createElement("li"), name = document.createElement("strong");
    item.setAttribute("data-testid", "call-message");
    name.textContent = who + ": ";
    item.appendChild(name);
    item.appendChild(document.createTextNode(text));
    list.appendChild(item);
  };

  Call.prototype.draw = function () {
    var self = this, s = this.session, box = this.box();
    if (!box) { return; }
    box.setAttribute("data-joined", this.joined ? "true" : "false");
    box.querySelector("[data-testid=call-join]").hidden = this.joined;
    box.querySelector("[data-testid=call-leave]").hidden = !this.joined;
    box.querySelector("[data-testid=call-talk]").hidden = !this.joined;
    var list = box.querySelector("[data-testid=call-peers]");
    list.innerHTML = "";
    var keys = Object.keys(this.peers);
    keys.forEach(function (key) {
      var peer = self.peers[key], item = document.createElement("li");
      item.setAttribute("data-testid", "call-peer");
      item.setAttribute("data-state", peer.state);
      item.setAttribute("data-channel", peer.open ? "open" : "closed");
      item.textContent = s.t(peer.state === "connected" ? "call.connected" : peer.state === "failed" ? "call.failed" : "call.connecting", { name: peer.name });
      list.appendChild(item);
    });
    box.querySelector("[data-testid=call-idle]").hidden = keys.length > 0;
  };

  Call.prototype.bind = function () {
    var self = this, box = this.box();
    if (!box) { return; }
    box.querySelector("[data-testid=call-join]").addEventListener("click", function () { self.join(); });
    box.querySelector("[data-testid=call-leave]").addEventListener("click", function () { self.leave(); });
    box.querySelector("[data-testid=call-talk]").addEventListener("submit", function (event) {
      event.preventDefault();
      var input = box.querySelector("[data-testid=call-message-input]");
      if (input.value.trim()) { self.say(input.value.trim()); input.value = ""; }
    });
    this.draw();
  };

  // ------------------------------------------------------------------------- start

  function scan() {
    document.querySelectorAll("[data-collab-panel]").forEach(function (panel) {
      if (!panel.__collab) { new Session(panel).call.bind(); }
    });
  }

  function whenReady(fn) { if (window.CadenzaOT) { fn(); } else { setTimeout(function () { whenReady(fn); }, 20); } }

  window.CadenzaCollab = { scan: function () { whenReady(scan); } };
  document.addEventListener("htmx:load", function () { whenReady(scan); });
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", function () { whenReady(scan); }); }
  else { whenReady(scan); }
})();
