// BAR game report: draws the timelines from the inlined data as SVG; hover reads values, drag zooms (every plot
// follows), a click on a name hides its lines. No network, no libraries.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("report-data").textContent);
  var NS = "http://www.w3.org/2000/svg";
  var W = 1000, H = 210, L = 58, R = 12, T = 10, B = 24;
  var view = { from: 0, to: Math.max(1, data.end) };
  var hidden = {};
  var teams = {};
  data.teams.forEach(function (t) { teams[t.id] = t; });
  var scheme = window.matchMedia ? window.matchMedia("(prefers-color-scheme: light)") : null;
  var light = !!(scheme && scheme.matches);

  // A team colour readable on the page: near-white lines are darkened on a light page, near-black ones lightened on
  // a dark one.
  function colour(hex) {
    var n = parseInt(hex.slice(1), 16), r = n >> 16, g = (n >> 8) & 255, b = n & 255;
    var lum = (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255;
    var f = 1;
    if (light && lum > 0.75) f = 0.6;
    if (!light && lum < 0.2) f = -1;
    if (f === 1) return hex;
    if (f < 0) { r = r + (255 - r) * 0.5; g = g + (255 - g) * 0.5; b = b + (255 - b) * 0.5; }
    else { r *= f; g *= f; b *= f; }
    return "rgb(" + Math.round(r) + "," + Math.round(g) + "," + Math.round(b) + ")";
  }

  function clock(s) {
    s = Math.max(0, Math.floor(s));
    var h = Math.floor(s / 3600), m = Math.floor(s / 60) % 60, sec = s % 60;
    var mm = h > 0 && m < 10 ? "0" + m : "" + m;
    return (h > 0 ? h + ":" : "") + mm + ":" + (sec < 10 ? "0" : "") + sec;
  }

  // 950, 3.2k, 12k, 1.5M: every axis label and tooltip value.
  function short(v) {
    var a = Math.abs(v);
    if (a >= 1e6) return (v / 1e6).toFixed(a >= 1e7 ? 0 : 1).replace(/\.0$/, "") + "M";
    if (a >= 1e3) return (v / 1e3).toFixed(a >= 1e4 ? 0 : 1).replace(/\.0$/, "") + "k";
    if (a >= 100 || a === 0) return v.toFixed(0);
    if (a >= 10) return v.toFixed(1).replace(/\.0$/, "");
    return v.toFixed(2).replace(/0$/, "").replace(/\.0?$/, "");
  }

  // Round steps (1, 2, 5 times a power of ten) giving about `n` ticks over [0, max].
  function ticks(max, n) {
    if (!(max > 0)) max = 1;
    var raw = max / n, p = Math.pow(10, Math.floor(Math.log10(raw))), step = p;
    [1, 2, 5, 10].some(function (m) { step = m * p; return m * p >= raw; });
    var out = [];
    for (var v = 0; v <= max * 1.0001 + step * 0.999; v += step) { out.push(v); if (v >= max) break; }
    return out;
  }

  function timeTicks(from, to) {
    var span = to - from, steps = [10, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200];
    var step = steps[steps.length - 1];
    for (var i = 0; i < steps.length; i++) if (span / steps[i] <= 10) { step = steps[i]; break; }
    var out = [];
    for (var t = Math.ceil(from / step) * step; t <= to; t += step) out.push(t);
    return out;
  }

  function el(name, attrs, parent) {
    var e = document.createElementNS(NS, name);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (parent) parent.appendChild(e);
    return e;
  }

  // The last point at or before time t (binary search over [x, y, x, y...]).
  function valueAt(pts, t) {
    var lo = 0, hi = pts.length / 2 - 1;
    if (hi < 0 || pts[0] > t) return null;
    while (lo < hi) {
      var mid = (lo + hi + 1) >> 1;
      if (pts[mid * 2] <= t) lo = mid; else hi = mid - 1;
    }
    return pts[lo * 2 + 1];
  }

  function lineColour(line) {
    return colour((teams[line.team] || { color: "#888888" }).color);
  }

  function lineName(line) {
    return line.label || (teams[line.team] ? teams[line.team].player : "Team " + line.team);
  }

  var plots = [];

  function build() {
    var root = document.getElementById("plots");
    var group = null;
    data.plots.forEach(function (p) {
      if (p.group !== group) {
        group = p.group;
        var g = document.createElement("div");
        g.className = "r-group";
        g.textContent = group;
        root.appendChild(g);
      }
      var box = document.createElement("div");
      box.className = "r-plot";
      box.id = "plot-" + p.id;
      var title = document.createElement("div");
      title.className = "r-plot-title";
      title.textContent = p.title + " ";
      var unit = document.createElement("span");
      unit.className = "r-dim";
      unit.textContent = "(" + p.unit + ")";
      title.appendChild(unit);
      box.appendChild(title);
      var svg = el("svg", { viewBox: "0 0 " + W + " " + H, role: "img", "aria-label": p.title });
      box.appendChild(svg);
      var tip = document.createElement("div");
      tip.className = "r-tip";
      tip.style.display = "none";
      box.appendChild(tip);
      root.appendChild(box);
      var plot = { spec: p, svg: svg, tip: tip, box: box };
      plots.push(plot);
      wire(plot);
    });
  }

  function xOf(t) { return L + (t - view.from) / (view.to - view.from) * (W - L - R); }
  function tOf(x) { return view.from + (x - L) / (W - L - R) * (view.to - view.from); }

  function draw(plot) {
    var svg = plot.svg, p = plot.spec;
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    var lines = p.lines.filter(function (l) { return !hidden[l.team] || l.label; });
    var max = 0;
    lines.forEach(function (l) {
      for (var i = 0; i < l.pts.length; i += 2) {
        var t = l.pts[i];
        if (t >= view.from && t <= view.to && l.pts[i + 1] > max) max = l.pts[i + 1];
      }
    });
    var ys = ticks(max, 4), top = ys[ys.length - 1] || 1;
    function yOf(v) { return H - B - v / top * (H - T - B); }
    ys.forEach(function (v) {
      el("line", { x1: L, x2: W - R, y1: yOf(v), y2: yOf(v), "class": v === 0 ? "r-axisline" : "r-gridline" }, svg);
      var tx = el("text", { x: L - 6, y: yOf(v) + 4, "text-anchor": "end", "class": "r-ylabel" }, svg);
      tx.textContent = short(v);
    });
    timeTicks(view.from, view.to).forEach(function (t) {
      el("line", { x1: xOf(t), x2: xOf(t), y1: T, y2: H - B, "class": "r-gridline" }, svg);
      // The last label ends at the plot's edge rather than past it.
      var anchor = xOf(t) > W - R - 20 ? "end" : "middle";
      var tx = el("text", { x: xOf(t), y: H - 6, "text-anchor": anchor, "class": "r-xlabel" }, svg);
      tx.textContent = clock(t);
    });
    // Commander deaths cross the plot; the other moments are ticks on its top edge (hover names them).
    data.moments.forEach(function (m) {
      if (m.t < view.from || m.t > view.to || m.kind === "over") return;
      var x = xOf(m.t), mk;
      if (m.kind === "commander") {
        mk = el("line", { x1: x, x2: x, y1: T, y2: H - B, "class": "r-marker r-m-commander" }, svg);
      } else {
        mk = el("path", { d: "M" + (x - 4) + "," + T + "h8l-4,7z", "class": "r-tick r-m-" + m.kind }, svg);
        if (m.kind.indexOf("factory") === 0 && teams[m.team]) mk.style.fill = colour(teams[m.team].color);
      }
      el("title", {}, mk).textContent = clock(m.t) + " " + m.text;
    });
    if (lines.length === 0) {
      var e = el("text", { x: (L + W - R) / 2, y: H / 2, "text-anchor": "middle", "class": "r-empty" }, svg);
      e.textContent = "not in this recording";
    }
    lines.forEach(function (l) {
      var out = [];
      for (var i = 0; i < l.pts.length; i += 2) {
        var t = l.pts[i];
        // One point either side of the view keeps the line running to the edges.
        if (t < view.from && i + 2 < l.pts.length && l.pts[i + 2] < view.from) continue;
        out.push(xOf(t).toFixed(1) + "," + yOf(l.pts[i + 1]).toFixed(1));
        if (t > view.to) break;
      }
      el("polyline", { points: out.join(" "), stroke: lineColour(l), "class": "r-line", "data-team": l.team }, svg);
    });
    el("line", { x1: L, x2: L, y1: T, y2: H - B, "class": "r-axisline" }, svg);
    plot.top = top;
    plot.cursor = el("line", { x1: -10, x2: -10, y1: T, y2: H - B, "class": "r-cursor" }, svg);
    plot.select = el("rect", { x: 0, y: T, width: 0, height: H - T - B, "class": "r-select" }, svg);
  }

  function svgX(plot, ev) {
    var r = plot.svg.getBoundingClientRect();
    return (ev.clientX - r.left) / r.width * W;
  }

  function hover(plot, ev) {
    var x = svgX(plot, ev);
    if (x < L || x > W - R) { leave(plot); return; }
    var t = tOf(x);
    plot.cursor.setAttribute("x1", x);
    plot.cursor.setAttribute("x2", x);
    var rows = [];
    plot.spec.lines.forEach(function (l) {
      if (hidden[l.team] && !l.label) return;
      var v = valueAt(l.pts, t);
      if (v !== null) rows.push([v, lineName(l), lineColour(l)]);
    });
    rows.sort(function (a, b) { return b[0] - a[0]; });
    var tip = plot.tip;
    while (tip.firstChild) tip.removeChild(tip.firstChild);
    var head = document.createElement("div");
    head.textContent = clock(t) + " · " + plot.spec.unit;
    tip.appendChild(head);
    rows.slice(0, 16).forEach(function (r) {
      var d = document.createElement("div");
      d.className = "r-tip-row";
      var sw = document.createElement("span");
      sw.className = "r-swatch";
      sw.style.background = r[2];
      d.appendChild(sw);
      d.appendChild(document.createTextNode(r[1] + ": " + short(r[0])));
      tip.appendChild(d);
    });
    var near = (view.to - view.from) / 200;
    data.moments.forEach(function (m) {
      if (Math.abs(m.t - t) <= near) {
        var d = document.createElement("div");
        d.className = "r-tip-mark";
        d.textContent = clock(m.t) + " " + m.text;
        tip.appendChild(d);
      }
    });
    if (rows.length === 0) {
      var none = document.createElement("div");
      none.textContent = "no value here";
      tip.appendChild(none);
    }
    tip.style.display = "block";
    var box = plot.box.getBoundingClientRect();
    var px = ev.clientX - box.left + 14;
    if (px + tip.offsetWidth > box.width) px = ev.clientX - box.left - tip.offsetWidth - 14;
    tip.style.left = Math.max(0, px) + "px";
    tip.style.top = "28px";
  }

  function leave(plot) {
    plot.tip.style.display = "none";
    if (plot.cursor) { plot.cursor.setAttribute("x1", -10); plot.cursor.setAttribute("x2", -10); }
  }

  function wire(plot) {
    var start = null;
    plot.svg.addEventListener("pointerdown", function (ev) {
      start = Math.min(Math.max(svgX(plot, ev), L), W - R);
      plot.svg.setPointerCapture(ev.pointerId);
    });
    plot.svg.addEventListener("pointermove", function (ev) {
      hover(plot, ev);
      if (start !== null) {
        var x = Math.min(Math.max(svgX(plot, ev), L), W - R);
        plot.select.setAttribute("x", Math.min(start, x));
        plot.select.setAttribute("width", Math.abs(x - start));
      }
    });
    plot.svg.addEventListener("pointerup", function (ev) {
      if (start === null) return;
      var x = Math.min(Math.max(svgX(plot, ev), L), W - R);
      var a = tOf(Math.min(start, x)), b = tOf(Math.max(start, x));
      start = null;
      plot.select.setAttribute("width", 0);
      if (b - a >= 5) zoom(a, b);
    });
    plot.svg.addEventListener("pointerleave", function () { leave(plot); });
    plot.svg.addEventListener("dblclick", function () { zoom(0, Math.max(1, data.end)); });
  }

  function zoom(a, b) {
    view.from = a;
    view.to = b;
    redraw();
  }

  function redraw() { plots.forEach(draw); }

  function legend() {
    var root = document.getElementById("legend");
    data.teams.forEach(function (t) {
      var s = document.createElement("span");
      var sw = document.createElement("span");
      sw.className = "r-swatch";
      sw.setAttribute("data-color", t.color);
      sw.style.background = colour(t.color);
      s.appendChild(sw);
      s.appendChild(document.createTextNode(t.player + (t.player !== t.name ? " (" + t.name + ")" : "")));
      s.title = "show or hide " + t.player;
      s.addEventListener("click", function () {
        hidden[t.id] = !hidden[t.id];
        s.className = hidden[t.id] ? "r-off" : "";
        redraw();
      });
      root.appendChild(s);
    });
  }

  document.getElementById("reset").addEventListener("click", function () { zoom(0, Math.max(1, data.end)); });
  legend();
  build();
  redraw();
  var api = { data: data, view: view, zoom: zoom, light: light };
  // The reader's theme can change while the page is open (a system switching at dusk): recolour, no reload.
  if (scheme && scheme.addEventListener) {
    scheme.addEventListener("change", function (e) {
      light = api.light = e.matches;
      document.querySelectorAll("#legend .r-swatch").forEach(function (sw) {
        sw.style.background = colour(sw.getAttribute("data-color"));
      });
      redraw();
    });
  }
  window.barReport = api;
})();
