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
    if (s.anonymous) h += '<span class="bar-anonymous">ANONYMOUS GAME</span>';
    if (s.over) {
      var names = {};
      st.sides.forEach(function (side) { names[side.ally_team] = side.name; });
      var who = s.winners && s.winners.length ? " \u2013 " + s.winners.map(function (a) { return names[a] || "side " + (a + 1); }).join(", ") + " won" : "";
      h += '<span class="bar-over">GAME OVER' + esc(who) + "</span>";
    }
    h += "</div>";
    if (s.map) h += '<div class="bar-map">' + esc(s.map) + (s.full_view ? "" : " \u00b7 player view: enemy data partial") + "</div>";
    el.innerHTML = h;
  }

  // A player card as a label: country code in a box (text, not an image: nothing is fetched) and the rating.
  function card(p) {
    if (!p) return "";
    if (p.status === "ai") return '<span class="bar-card bar-card-ai">AI</span>';
    var h = '<span class="bar-card">';
    if (p.country) h += '<span class="bar-flag">' + esc(p.country) + "</span>";
    if (p.skill !== null && p.skill !== undefined) {
      var sigma = p.skill_uncertainty !== null && p.skill_uncertainty !== undefined ? " \u00b1" + p.skill_uncertainty.toFixed(1) : "";
      h += '<span class="bar-skill' + (p.skill_estimated ? " bar-skill-estimated" : "") + '" title="rating' + sigma + '">' +
        (p.skill_estimated ? "~" : "") + p.skill.toFixed(0) + "</span>";
    }
    if (p.status === "resigned") h += '<span class="bar-tag bar-resigned">RESIGNED</span>';
    if (p.status === "disconnected") h += '<span class="bar-tag bar-disconnected">DC</span>';
    return h + "</span>";
  }
  function known(v) { return v !== null && v !== undefined; }
  // The Spectator HUD's numbers, where the game sends them (protocol 1.1).
  function hud(t) {
    var parts = [];
    if (known(t.damage_efficiency)) {
      var cls = t.damage_efficiency >= 100 ? "bar-good" : "bar-bad";
      parts.push('<span class="bar-eff" title="damage dealt per 100 received">Dmg <span class="' + cls + '">' + t.damage_efficiency.toFixed(0) + "%</span></span>");
    }
    if (known(t.metal_produced)) parts.push('<span class="bar-produced" title="metal produced">MP ' + amount(t.metal_produced) + "</span>");
    if (known(t.energy_produced)) parts.push('<span class="bar-produced-energy" title="energy produced">EP ' + amount(t.energy_produced) + "</span>");
    if (known(t.units_killed) && known(t.units_died)) parts.push('<span class="bar-kd" title="units killed / lost">K/D ' + t.units_killed + "/" + t.units_died + "</span>");
    return parts.length ? '<div class="bar-player-hud">' + parts.join("") + "</div>" : "";
  }

  function drawScoreboard(el, st) {
    if (!st.teams.length) { el.innerHTML = '<span class="bar-dim">No teams yet</span>'; return; }
    var by = teamsById(st);
    var ss = sides(st);
    // Up to 8 players: two columns (sides side by side, more sides wrap), every number. More (8v8, a 16-way FFA): one
    // line per player across the panel. In a free-for-all of more than two, a side is one player: no side heads.
    var compact = st.teams.length > 8;
    var ffa = ss.length > 2 && ss.every(function (side) { return side.teams.length === 1; });
    el.style.setProperty("--bar-side-columns", compact ? 1 : Math.min(ss.length, 2));
    var h = '<div class="bar-sides' + (compact ? " bar-compact" : "") + (ffa ? " bar-ffa" : "") + '">';
    ss.forEach(function (side) {
      h += '<div class="bar-side bar-side-' + side.ally_team + '">' + (ffa ? "" :
        '<div class="bar-side-head"><span class="bar-side-name">' + esc(side.name || "Side " + (side.ally_team + 1)) + "</span>" +
        '<span class="bar-army-value">' + amount(side.army_value) + "</span></div>");
      side.teams.forEach(function (id) {
        var t = by[id];
        if (!t) return;
        h += '<div class="bar-player' + (t.is_dead ? " bar-dead" : "") + '" data-team="' + t.team_id + '">' +
          '<div class="bar-player-name" style="color:' + t.color + '"><span class="bar-name" title="' + esc(t.name) + '">' + esc(t.name) + "</span>" +
          card(t.player) +
          '<span class="bar-army-value" title="army value">' + amount(t.army_value) + "</span></div>" +
          '<div class="bar-player-eco">' + res("M", "bar-metal", t.metal) + res("E", "bar-energy", t.energy) + "</div>" +
          hud(t) + "</div>";
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

  function pct(p) { return known(p) ? (p * 100).toFixed(0) + "%" : ""; }
  // What each team is building: factories (idle ones too), constructions, idle builders (protocol 1.1).
  var SHOWN = 4;
  function drawProduction(el, st) {
    var teams = orderedTeams(st).filter(function (t) { return t.production; });
    if (!teams.length) { el.innerHTML = '<span class="bar-dim">Production appears once the game sends it</span>'; return; }
    el.style.setProperty("--bar-production-columns", teams.length > 8 ? 2 : 1);
    var h = '<div class="bar-production-teams">';
    teams.forEach(function (t) {
      var p = t.production;
      h += '<div class="bar-production-team" data-team="' + t.team_id + '">' +
        '<div class="bar-production-head"><span class="bar-name" title="' + esc(t.name) + '" style="color:' + t.color + '">' + esc(t.name) + "</span>" +
        '<span class="bar-idle ' + (p.idle_builders ? "bar-warn" : "bar-dim") + '" title="finished builders without orders">' +
        p.idle_builders + " idle</span></div>";
      // A row is what (shortened with an ellipsis when the column is narrow; whole in its tooltip) and numbers (never cut).
      var row = function (cls, what, nums) {
        return '<div class="' + cls + '"><span class="bar-what" title="' + esc(what) + '">' + esc(what) + "</span>" +
          '<span class="bar-progress">' + nums + "</span></div>";
      };
      var rows = [];
      p.factories.forEach(function (f) {
        rows.push(f.building
          ? row("bar-factory", f.factory + ": " + f.building,
              pct(f.progress) + (f.queued > 1 ? ' <span class="bar-dim">+' + (f.queued - 1) + "</span>" : ""))
          : row("bar-factory bar-factory-idle", f.factory, '<span class="bar-dim">idle</span>'));
      });
      p.constructing.forEach(function (c) {
        rows.push(row("bar-construction", c.name,
          pct(c.progress) + (c.builders > 1 ? ' <span class="bar-dim">\u00d7' + c.builders + "</span>" : "")));
      });
      var shown = teams.length > 8 ? SHOWN - 1 : SHOWN;
      h += rows.slice(0, shown).join("");
      if (rows.length > shown) h += '<div class="bar-dim bar-more">+' + (rows.length - shown) + " more</div>";
      if (!rows.length) h += '<div class="bar-dim">nothing in production</div>';
      h += "</div>";
    });
    el.innerHTML = h + "</div>";
  }

  // Who plays: each side's player cards (protocol 1.1), for introductions.
  function drawPlayers(el, st) {
    if (!st.teams.length) { el.innerHTML = '<span class="bar-dim">No teams yet</span>'; return; }
    var by = teamsById(st);
    var h = '<div class="bar-cards">';
    sides(st).forEach(function (side) {
      h += '<div class="bar-side-head"><span class="bar-side-name">' + esc(side.name || "Side " + (side.ally_team + 1)) + "</span></div>";
      side.teams.forEach(function (id) {
        var t = by[id];
        if (!t) return;
        var cards = t.players.length ? t.players : (t.player ? [t.player] : [{ name: t.name, status: "playing" }]);
        cards.forEach(function (p) {
          h += '<div class="bar-player-card' + (t.is_dead ? " bar-dead" : "") + '" data-team="' + t.team_id + '">' +
            '<span class="bar-name" title="' + esc(p.name) + '" style="color:' + t.color + '">' + esc(p.name) + "</span>" + card(p) +
            (t.faction ? '<span class="bar-faction">' + esc(t.faction) + "</span>" : "") + "</div>";
        });
      });
    });
    el.innerHTML = h + "</div>";
  }

  var lastSeries = null;
  function render() {
    if (!state || !state.status) return;
    if (panels.status) drawStatus(panels.status, state);
    if (panels.scoreboard) drawScoreboard(panels.scoreboard, state);
    if (panels.army) drawArmy(panels.army, state);
    if (panels.production) drawProduction(panels.production, state);
    if (panels.players) drawPlayers(panels.players, state);
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
