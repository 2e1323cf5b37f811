// BAR Live Overlay pages: follows /api/stream (server-sent events) and draws the panels this page holds.
// No libraries: the graphs are plain SVG polylines.
(function () {
  "use strict";
  var params = new URLSearchParams(location.search);
  var token = params.get("token");
  var flip = params.get("flip") === "1";
  var q = token ? "?token=" + encodeURIComponent(token) : "";
  var state = null;
  var series = null;
  var cssVersion = -1;
  // What the page showed and when: [Date.now(), game_seconds]. Read by the browser tests to measure latency.
  window.barLog = [];

  if (flip) document.body.classList.add("bar-flip");
  var panels = {};
  document.querySelectorAll("[data-panel]").forEach(function (el) { panels[el.dataset.panel] = el; });

  function esc(s) {
    return String(s).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }
  function amount(v) {
    var a = Math.abs(v);
    if (a >= 1e6) return (v / 1e6).toFixed(1) + "M";
    if (a >= 1e4) return (v / 1e3).toFixed(0) + "k";
    if (a >= 1e3) return (v / 1e3).toFixed(1) + "k";
    return v.toFixed(0);
  }
  function income(v) { return "+" + (v >= 100 ? v.toFixed(0) : v.toFixed(1)); }
  function clock(s) {
    s = Math.max(0, Math.floor(s));
    var h = Math.floor(s / 3600), m = Math.floor(s / 60) % 60, sec = s % 60;
    var mm = h ? String(m).padStart(2, "0") : String(m);
    return (h ? h + ":" : "") + mm + ":" + String(sec).padStart(2, "0");
  }
  function teamsById(st) {
    var by = {};
    st.teams.forEach(function (t) { by[t.team_id] = t; });
    return by;
  }
  function sides(st) {
    var s = st.sides.slice();
    return flip ? s.reverse() : s;
  }
  function orderedTeams(st) {
    var by = teamsById(st), out = [];
    sides(st).forEach(function (side) { side.teams.forEach(function (id) { if (by[id]) out.push(by[id]); }); });
    return out;
  }

  function drawStatus(el, st) {
    var s = st.status;
    var link = document.body.classList.contains("bar-offline") ? "offline" : s.link;
    var words = { live: "LIVE", stale: "STALE", waiting: "WAITING FOR GAME", disconnected: "DISCONNECTED", offline: "NO OVERLAY" };
    var h = '<div class="bar-status-line">' +
      '<span class="bar-link bar-link-' + link + '">' + words[link] + "</span>";
    if (s.started) h += '<span class="bar-clock">' + esc(st.clock) + "</span>";
    if (s.delay_label) h += '<span class="bar-delayed">' + esc(s.delay_label) + "</span>";
    if (s.paused) h += '<span class="bar-paused">PAUSED</span>';
    if (s.over) {
      var who = s.winners && s.winners.length ? " \u2013 side " + s.winners.map(function (a) { return a + 1; }).join(", ") + " won" : "";
      h += '<span class="bar-over">GAME OVER' + esc(who) + "</span>";
    }
    h += "</div>";
    if (s.map) h += '<div class="bar-map">' + esc(s.map) + (s.full_view ? "" : " \u00b7 player view: enemy data partial") + "</div>";
    el.innerHTML = h;
  }

  function drawScoreboard(el, st) {
    if (!st.teams.length) { el.innerHTML = '<span class="bar-dim">No teams yet</span>'; return; }
    var by = teamsById(st);
    var ss = sides(st);
    el.style.setProperty("--bar-side-columns", Math.min(ss.length, 4));
    var h = '<div class="bar-sides">';
    ss.forEach(function (side) {
      h += '<div class="bar-side bar-side-' + side.ally_team + '">' +
        '<div class="bar-side-head"><span>Side ' + (side.ally_team + 1) + "</span>" +
        '<span class="bar-army-value">' + amount(side.army_value) + "</span></div>";
      side.teams.forEach(function (id) {
        var t = by[id];
        if (!t) return;
        h += '<div class="bar-player' + (t.is_dead ? " bar-dead" : "") + '" data-team="' + t.team_id + '">' +
          '<div class="bar-player-name" style="color:' + t.color + '"><span class="bar-name">' + esc(t.name) + "</span>" +
          '<span class="bar-army-value" title="army value">' + amount(t.army_value) + "</span></div>" +
          '<div class="bar-player-eco">' + res("M", "bar-metal", t.metal) + res("E", "bar-energy", t.energy) + "</div></div>";
      });
      h += "</div>";
    });
    el.innerHTML = h + "</div>";
  }
  function res(tag, cls, r) {
    if (!r) return '<span class="' + cls + '">' + tag + ' <span class="bar-dim">?</span></span>';
    return '<span class="' + cls + '">' + tag + ' <span class="bar-num">' + amount(r.current) + " " + income(r.income) + "</span></span>";
  }

  var METRICS = [["metal_income", "Metal income"], ["energy_income", "Energy income"], ["army_value", "Army value"]];
  function drawGraphs(el, st) {
    if (!series || !series.teams || !series.teams.length) { el.innerHTML = '<span class="bar-dim">Graphs appear once the game sends data</span>'; return; }
    var by = teamsById(st);
    var order = orderedTeams(st);
    var h = '<div class="bar-legend">';
    order.forEach(function (t) { h += '<span><span class="bar-swatch" style="background:' + t.color + '"></span>' + esc(t.name) + "</span>"; });
    h += "</div>";
    var lines = {};
    series.teams.forEach(function (s) { lines[s.team_id] = s; });
    var W = 1000, H = 100, x0 = series.from, x1 = Math.max(series.to, x0 + 1);
    METRICS.forEach(function (m) {
      var max = 0;
      series.teams.forEach(function (s) { s[m[0]].forEach(function (p) { if (p[1] > max) max = p[1]; }); });
      var y1 = max > 0 ? max * 1.05 : 1;
      var svg = '<svg viewBox="0 0 ' + W + " " + H + '" preserveAspectRatio="none">' +
        '<line class="bar-axis" x1="0" y1="' + H + '" x2="' + W + '" y2="' + H + '"/>';
      order.forEach(function (t) {
        var s = lines[t.team_id];
        if (!s || !s[m[0]].length) return;
        var pts = s[m[0]].map(function (p) {
          return ((p[0] - x0) / (x1 - x0) * W).toFixed(1) + "," + (H - p[1] / y1 * H).toFixed(1);
        }).join(" ");
        svg += '<polyline class="bar-line" data-team="' + t.team_id + '" stroke="' + (by[t.team_id] || t).color + '" points="' + pts + '"/>';
      });
      svg += "</svg>";
      h += '<div class="bar-graph bar-graph-' + m[0] + '"><div class="bar-graph-title"><span>' + m[1] + "</span><span>" +
        amount(max) + " \u00b7 " + clock(x1) + "</span></div>" + svg + "</div>";
    });
    el.innerHTML = h;
  }

  function drawArmy(el, st) {
    if (!st.teams.length) { el.innerHTML = '<span class="bar-dim">No teams yet</span>'; return; }
    var max = 0;
    st.teams.forEach(function (t) { if (t.army_value > max) max = t.army_value; });
    var h = "";
    orderedTeams(st).forEach(function (t) {
      var pct = function (v) { return max > 0 ? (v / max * 100).toFixed(2) : 0; };
      h += '<div class="bar-army-team" data-team="' + t.team_id + '">' +
        '<div class="bar-army-head"><span style="color:' + t.color + '">' + esc(t.name) + " " +
        (t.commander_alive ? '<span class="bar-com-alive">Com alive</span>' : '<span class="bar-com-dead">Com dead</span>') +
        '</span><span class="bar-army-value">' + amount(t.army_value) + "</span></div>" +
        '<div class="bar-bar"><span class="bar-bar-land" style="width:' + pct(t.army_land) + '%"></span>' +
        '<span class="bar-bar-air" style="width:' + pct(t.army_air) + '%"></span>' +
        '<span class="bar-bar-sea" style="width:' + pct(t.army_sea) + '%"></span></div>' +
        '<div class="bar-army-split"><span class="bar-land">Land ' + amount(t.army_land) + "</span>" +
        '<span class="bar-air">Air ' + amount(t.army_air) + "</span>" +
        '<span class="bar-sea">Sea ' + amount(t.army_sea) + "</span>" +
        '<span class="bar-dim">Def ' + amount(t.defense_value) + " \u00b7 Eco " + amount(t.economy_value) +
        " \u00b7 BP " + amount(t.build_power) + "</span></div>";
      if (t.top_units.length) {
        h += '<div class="bar-top-units">' + t.top_units.map(function (u) {
          return u.count + "\u00d7 " + esc(u.name);
        }).join(" \u00b7 ") + "</div>";
      }
      h += "</div>";
    });
    el.innerHTML = h;
  }

  var lastSeries = null;
  function render() {
    if (!state || !state.status) return;
    if (panels.status) drawStatus(panels.status, state);
    if (panels.scoreboard) drawScoreboard(panels.scoreboard, state);
    if (panels.army) drawArmy(panels.army, state);
    // The graphs change once a game second; redraw them then (and when the teams change), not 30 times a second.
    var key = series ? series.to + "/" + state.teams.length + "/" + flip : null;
    if (panels.graphs && key !== lastSeries) { drawGraphs(panels.graphs, state); lastSeries = key; }
    if (state.css_version !== cssVersion) {
      cssVersion = state.css_version;
      var link = document.getElementById("bar-custom-css");
      link.href = "/custom.css" + (q ? q + "&" : "?") + "v=" + cssVersion;
    }
    window.barLog.push([Date.now(), state.game_seconds]);
    if (window.barLog.length > 4000) window.barLog.splice(0, 1000);
  }

  var source = null;
  function connect() {
    source = new EventSource("/api/stream" + q);
    source.addEventListener("update", function (e) {
      var m = JSON.parse(e.data);
      if (m.series) series = m.series;
      state = m.state;
      document.body.classList.remove("bar-offline");
      render();
    });
    source.onerror = function () {
      document.body.classList.add("bar-offline");
      if (state) render();
      // EventSource retries a dropped stream by itself, but gives up after a refused one: start over then.
      if (source.readyState === EventSource.CLOSED) {
        source.close();
        setTimeout(connect, 2000);
      }
    };
  }
  connect();
})();
