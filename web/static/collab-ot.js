// Operational transformation for the studio's operations: a line-for-line port of
// backend/collab/transform.py (read that file for the rules and why), plus the studio's
// `apply` (backend/audio/operations.py) so the page can keep its own copy of the document.
// tests/collab/test_transform_js.py runs both on the same random cases and compares.
(function (root, factory) {
  "use strict";
  if (typeof module === "object" && module.exports) { module.exports = factory(); }
  else { root.CadenzaOT = factory(); }
})(typeof self !== "undefined" ? self : this, function () {
  "use strict";

  var TRACK_LIST = ["add_track", "remove_track", "move_track"];
  var EFFECT_LIST = ["add_effect", "remove_effect", "move_effect"];
  var CLIP_KINDS = ["move_clip", "trim_clip", "set_clip", "remove_clip"];

  function has(list, value) { return list.indexOf(value) !== -1; }
  function copy(value) { return JSON.parse(JSON.stringify(value)); }
  function assign(base, extra) {
    var out = {}, key;
    for (key in base) { if (Object.prototype.hasOwnProperty.call(base, key)) { out[key] = base[key]; } }
    for (key in extra) { if (Object.prototype.hasOwnProperty.call(extra, key)) { out[key] = extra[key]; } }
    return out;
  }

  // --------------------------------------------------------------------------- annotations

  function chainOf(doc, target) {
    if (target === "master") { return doc.master.effects; }
    for (var i = 0; i < doc.tracks.length; i++) {
      if (doc.tracks[i].id === target) { return doc.tracks[i].effects; }
    }
    return null;
  }

  function annotate(op, doc) {
    var out = assign(op, {}), i;
    if (op.kind === "remove_track") {
      for (i = 0; i < doc.tracks.length; i++) { if (doc.tracks[i].id === op.track_id) { out.index = i; } }
    } else if (op.kind === "remove_effect") {
      var chain = chainOf(doc, op.target) || [];
      for (i = 0; i < chain.length; i++) { if (chain[i].id === op.effect_id) { out.index = i; } }
    }
    return out;
  }

  // --------------------------------------------------------------------------- sequences

  function transformBatches(pending, committed) {
    var a = pending.slice(), outB = [];
    committed.forEach(function (y) {
      var ys = [y], nextA = [];
      a.forEach(function (x) {
        var r = oneAgainstMany(x, ys);
        nextA = nextA.concat(r[0]);
        ys = r[1];
      });
      a = nextA;
      outB = outB.concat(ys);
    });
    return [a, outB];
  }

  function oneAgainstMany(x, ys) {
    var xs = [x], out = [];
    ys.forEach(function (y) {
      if (!xs.length) { out.push(y); return; }
      var r = xs.length === 1 ? transform(xs[0], y) : transformBatches(xs, [y]);
      xs = r[0];
      out = out.concat(r[1]);
    });
    return [xs, out];
  }

  // --------------------------------------------------------------------------- pairs

  function transform(a, b) { return transformPair(a, b, true); }
  function swap(pair) { return [pair[1], pair[0]]; }

  function transformPair(a, b, aLater) {
    var ka = a.kind, kb = b.kind;
    if (has(TRACK_LIST, ka) && has(TRACK_LIST, kb)) { return listPair(a, b, aLater); }
    if (kb === "remove_track") { return againstRemovedTrack(a, b); }
    if (ka === "remove_track") { return swap(againstRemovedTrack(b, a)); }
    if (has(EFFECT_LIST, ka) && has(EFFECT_LIST, kb)) {
      if (a.target !== b.target) { return [[a], [b]]; }
      return listPair(a, b, aLater);
    }
    if (kb === "remove_effect") { return againstRemovedEffect(a, b); }
    if (ka === "remove_effect") { return swap(againstRemovedEffect(b, a)); }
    if (has(CLIP_KINDS, ka) && has(CLIP_KINDS, kb) && a.clip_id === b.clip_id) { return sameClip(a, b, aLater); }
    var keyA = register(a), keyB = register(b);
    if (keyA !== null && keyA === keyB) { return aLater ? [[a], []] : [[], [b]]; }
    return [[a], [b]];
  }

  function register(op) {
    var kind = op.kind;
    if (kind === "set_project" || kind === "set_master") { return JSON.stringify([kind, op.field]); }
    if (kind === "set_track") { return JSON.stringify([kind, op.track_id, op.field]); }
    if (kind === "set_effect_param") { return JSON.stringify([kind, op.effect_id, op.param]); }
    if (kind === "set_effect_bypass") { return JSON.stringify([kind, op.effect_id]); }
    return null;
  }

  // --------------------------------------------------------------------------- deletions

  function touchesTrack(op, trackId) {
    var kind = op.kind;
    if (kind === "set_track") { return op.track_id === trackId; }
    if (has(EFFECT_LIST, kind) || kind === "set_effect_param" || kind === "set_effect_bypass") { return op.target === trackId; }
    if (kind === "add_clip" || kind === "trim_clip" || kind === "set_clip" || kind === "remove_clip") { return op.track_id === trackId; }
    return false;
  }

  function againstRemovedTrack(a, removal) {
    var gone = removal.track_id;
    if (a.kind === "move_clip") {
      var source = a.track_id, target = a.to_track_id;
      if (source === gone) {
        if (target === gone) { return [[], [removal]]; }
        return [[], [{ kind: "remove_clip", track_id: target, clip_id: a.clip_id }, removal]];
      }
      if (target === gone) {
        if (a.rescue) { return [[{ kind: "remove_clip", track_id: source, clip_id: a.clip_id }], [removal]]; }
        var stay = assign(a, { to_track_id: source });
        var back = { kind: "move_clip", track_id: gone, clip_id: a.clip_id, to_track_id: source, start: a.start, rescue: true };
        return [[stay], [back, removal]];
      }
      return [[a], [removal]];
    }
    if (touchesTrack(a, gone)) { return [[], [removal]]; }
    return [[a], [removal]];
  }

  function againstRemovedEffect(a, removal) {
    if ((a.kind === "set_effect_param" || a.kind === "set_effect_bypass") && a.effect_id === removal.effect_id) {
      return [[], [removal]];
    }
    return [[a], [removal]];
  }

  // --------------------------------------------------------------------------- clips

  function sameClip(a, b, aLater) {
    var ka = a.kind, kb = b.kind;
    if (ka === "remove_clip" && kb === "remove_clip") { return [[], []]; }
    if (kb === "remove_clip") { return againstRemovedClip(a, b); }
    if (ka === "remove_clip") { return swap(againstRemovedClip(b, a)); }
    if (ka === "move_clip" && kb === "move_clip") {
      if (aLater) { return [[assign(a, { track_id: b.to_track_id })], []]; }
      return [[], [assign(b, { track_id: a.to_track_id })]];
    }
    if (kb === "move_clip") { return [[assign(a, { track_id: b.to_track_id })], [b]]; }
    if (ka === "move_clip") { return [[a], [assign(b, { track_id: a.to_track_id })]]; }
    var same = ka === kb && (ka === "trim_clip" || a.field === b.field);
    if (same) { return aLater ? [[a], []] : [[], [b]]; }
    return [[a], [b]];
  }

  function againstRemovedClip(a, removal) {
    if (a.kind === "move_clip") { return [[], [assign(removal, { track_id: a.to_track_id })]]; }
    return [[], [removal]];
  }

  // --------------------------------------------------------------------------- ordered lists

  function shape(op) {
    var kind = op.kind;
    if (kind === "add_track") { return [op.track.id, null, op.index]; }
    if (kind === "add_effect") { return [op.effect.id, null, op.index]; }
    if (kind === "remove_track" || kind === "remove_effect") {
      if (op.index === undefined) { throw new Error(kind + " must be annotated with its index before it is transformed"); }
      return [kind === "remove_track" ? op.track_id : op.effect_id, op.index, null];
    }
    return [kind === "move_track" ? op.track_id : op.effect_id, op.from_index, op.to_index];
  }

  function reshape(op, source, dest) {
    var kind = op.kind;
    if (kind === "add_track" || kind === "add_effect") { return assign(op, { index: dest }); }
    if (kind === "remove_track" || kind === "remove_effect") { return assign(op, { index: source }); }
    return assign(op, { from_index: source, to_index: dest });
  }

  function moved(items, element, source, dest) {
    var out = items.slice();
    if (source !== null) { out.splice(source, 1); }
    if (dest !== null) { out.splice(dest, 0, element); }
    return out;
  }

  function listPair(a, b, aLater) {
    var sa = shape(a), sb = shape(b);
    var x = sa[0], xs = sa[1], xd = sa[2], y = sb[0], ys = sb[1], yd = sb[2];
    if (x === y) { return sameElement(a, b, xs, xd, ys, yd, aLater); }
    var size = Math.max.apply(null, [xs, xd, ys, yd].filter(function (i) { return i !== null; }).concat([0])) + 3;
    var base = [], i;
    for (i = 0; i < size; i++) { base.push("\u0000" + i); }
    if (xs !== null) { base[xs] = x; }
    if (ys !== null) { base[ys] = y; }
    var afterA = moved(base, x, xs, xd), afterB = moved(base, y, ys, yd);
    var others = base.filter(function (e) { return e !== x && e !== y; });
    function gap(items, element) {
      var n = 0, at = items.indexOf(element);
      for (var k = 0; k < at; k++) { if (items[k] !== x && items[k] !== y) { n++; } }
      return n;
    }
    var gapX = xd !== null ? gap(afterA, x) : null, gapY = yd !== null ? gap(afterB, y) : null;
    var final = [];
    for (var g = 0; g <= others.length; g++) {
      var here = [];
      if (gapX === g) { here.push(x); }
      if (gapY === g) { here.push(y); }
      if (here.length === 2 && aLater) { here.reverse(); }
      final = final.concat(here);
      if (g < others.length) { final.push(others[g]); }
    }
    var a2 = reshape(a, xs !== null ? afterB.indexOf(x) : null, xd !== null ? final.indexOf(x) : null);
    var b2 = reshape(b, ys !== null ? afterA.indexOf(y) : null, yd !== null ? final.indexOf(y) : null);
    return [[a2], [b2]];
  }

  function sameElement(a, b, xs, xd, ys, yd, aLater) {
    if (xs === null || ys === null) { return [[a], [b]]; }
    if (xd === null && yd === null) { return [[], []]; }
    if (yd === null) { return [[], [reshape(b, xd, null)]]; }
    if (xd === null) { return [[reshape(a, yd, null)], []]; }
    if (aLater) { return [[reshape(a, yd, xd)], []]; }
    return [[], [reshape(b, xd, yd)]];
  }

  // --------------------------------------------------------------------------- apply

  function trackIndex(doc, id) {
    for (var i = 0; i < doc.tracks.length; i++) { if (doc.tracks[i].id === id) { return i; } }
    throw new Error("no track " + id);
  }
  function indexById(list, id) {
    for (var i = 0; i < list.length; i++) { if (list[i].id === id) { return i; } }
    throw new Error("no element " + id);
  }
  function sortClips(clips) {
    return clips.sort(function (p, q) {
      if (p.start !== q.start) { return p.start < q.start ? -1 : 1; }
      return p.id < q.id ? -1 : p.id > q.id ? 1 : 0;
    });
  }

  // The studio's `apply`: a new document with `op` applied (throws if it doesn't fit).
  function apply(document, op) {
    var doc = copy(document), track, chain, clip;
    switch (op.kind) {
      case "set_project": doc[op.field] = copy(op.value); break;
      case "add_track": doc.tracks.splice(op.index, 0, copy(op.track)); break;
      case "remove_track": doc.tracks.splice(trackIndex(doc, op.track_id), 1); break;
      case "move_track": doc.tracks.splice(op.to_index, 0, doc.tracks.splice(op.from_index, 1)[0]); break;
      case "set_track": doc.tracks[trackIndex(doc, op.track_id)][op.field] = op.value; break;
      case "add_effect": chainOf(doc, op.target).splice(op.index, 0, copy(op.effect)); break;
      case "remove_effect": chain = chainOf(doc, op.target); chain.splice(indexById(chain, op.effect_id), 1); break;
      case "move_effect": chain = chainOf(doc, op.target); chain.splice(op.to_index, 0, chain.splice(op.from_index, 1)[0]); break;
      case "set_effect_param": chain = chainOf(doc, op.target); chain[indexById(chain, op.effect_id)].params[op.param] = op.value; break;
      case "set_effect_bypass": chain = chainOf(doc, op.target); chain[indexById(chain, op.effect_id)].bypass = op.bypass; break;
      case "add_clip": track = doc.tracks[trackIndex(doc, op.track_id)]; track.clips = sortClips(track.clips.concat([copy(op.clip)])); break;
      case "move_clip":
        track = doc.tracks[trackIndex(doc, op.track_id)];
        clip = track.clips.splice(indexById(track.clips, op.clip_id), 1)[0];
        clip.start = op.start;
        track = doc.tracks[trackIndex(doc, op.to_track_id)];
        track.clips = sortClips(track.clips.concat([clip]));
        break;
      case "trim_clip":
        track = doc.tracks[trackIndex(doc, op.track_id)];
        clip = track.clips[indexById(track.clips, op.clip_id)];
        clip.offset = op.offset; clip.length = op.length;
        break;
      case "set_clip": track = doc.tracks[trackIndex(doc, op.track_id)]; track.clips[indexById(track.clips, op.clip_id)][op.field] = op.value; break;
      case "remove_clip": track = doc.tracks[trackIndex(doc, op.track_id)]; track.clips.splice(indexById(track.clips, op.clip_id), 1); break;
      case "set_master": doc.master[op.field] = op.value; break;
      default: throw new Error("unknown operation " + op.kind);
    }
    return doc;
  }

  // Apply what fits; an operation that doesn't (the server will refuse it) is skipped.
  function applyAll(document, ops) {
    return ops.reduce(function (doc, op) {
      try { return apply(doc, op); } catch (err) { return doc; }
    }, document);
  }

  return {
    annotate: annotate,
    apply: apply,
    applyAll: applyAll,
    transform: transform,
    transformBatches: transformBatches,
  };
});
