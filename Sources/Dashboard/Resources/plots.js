// Line plots on a canvas, no library: axes with ticks, one polyline per series, an optional
// vertical cursor. Sets canvas.dataset.points to the number of points drawn (for tests).
"use strict";
window.SliplinePlots = (function () {
  function niceTicks(lo, hi, n) {
    if (!(hi > lo)) { hi = lo + 1; }
    const raw = (hi - lo) / n, mag = Math.pow(10, Math.floor(Math.log10(raw)));
    const step = [1, 2, 5, 10].map(m => m * mag).find(s => s >= raw) || raw;
    const out = [];
    for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9; v += step) out.push(+v.toFixed(10));
    return out;
  }

  function linePlot(canvas, series, opts) {
    opts = opts || {};
    const dpr = window.devicePixelRatio || 1, w = canvas.clientWidth || 560, h = canvas.clientHeight || 240;
    canvas.width = w * dpr; canvas.height = h * dpr;
    const g = canvas.getContext("2d");
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, w, h);
    const m = { l: 52, r: 12, t: 14, b: 34 };
    let xs = [], ys = [];
    for (const s of series) { for (let i = 0; i < s.x.length; i++) { if (Number.isFinite(s.y[i])) { xs.push(s.x[i]); ys.push(s.y[i]); } } }
    let x0 = opts.xMin !== undefined ? opts.xMin : Math.min(...xs), x1 = opts.xMax !== undefined ? opts.xMax : Math.max(...xs);
    let y0 = Math.min(0, ...ys), y1 = Math.max(...ys);
    if (!xs.length) { x0 = opts.xMin || 0; x1 = opts.xMax !== undefined ? opts.xMax : 1; y0 = 0; y1 = 1; }
    if (x1 <= x0) x1 = x0 + 1;
    if (y1 <= y0) y1 = y0 + 1;
    const X = v => m.l + (v - x0) / (x1 - x0) * (w - m.l - m.r);
    const Y = v => h - m.b - (v - y0) / (y1 - y0) * (h - m.t - m.b);
    g.strokeStyle = "#3a4350"; g.fillStyle = "#8b95a3"; g.font = "11px system-ui"; g.lineWidth = 1;
    g.beginPath(); g.moveTo(m.l, m.t); g.lineTo(m.l, h - m.b); g.lineTo(w - m.r, h - m.b); g.stroke();
    for (const t of niceTicks(x0, x1, 6)) { g.fillText(String(t), X(t) - 8, h - m.b + 14); }
    for (const t of niceTicks(y0, y1, 4)) { g.fillText(String(t), 4, Y(t) + 4); g.beginPath(); g.moveTo(m.l, Y(t)); g.lineTo(w - m.r, Y(t)); g.strokeStyle = "#20262e"; g.stroke(); }
    if (opts.xLabel) g.fillText(opts.xLabel, w / 2 - 20, h - 4);
    if (opts.yLabel) { g.save(); g.translate(12, h / 2 + 30); g.rotate(-Math.PI / 2); g.fillText(opts.yLabel, 0, 0); g.restore(); }
    let drawn = 0;
    for (const s of series) {
      g.strokeStyle = s.color; g.lineWidth = 1.5; g.beginPath();
      let pen = false;
      for (let i = 0; i < s.x.length; i++) {
        const v = s.y[i];
        if (!Number.isFinite(v)) { pen = false; continue; }
        // A gap of more than one frame breaks the line: the track was not seen there.
        if (pen && i > 0 && s.x[i] - s.x[i - 1] > 1) pen = false;
        if (pen) g.lineTo(X(s.x[i]), Y(v)); else g.moveTo(X(s.x[i]), Y(v));
        pen = true; drawn++;
      }
      g.stroke();
    }
    if (opts.cursorX !== undefined) {
      g.strokeStyle = "rgba(255,255,255,.5)"; g.beginPath(); g.moveTo(X(opts.cursorX), m.t); g.lineTo(X(opts.cursorX), h - m.b); g.stroke();
    }
    let ly = m.t + 4;
    for (const s of series.slice(0, 8)) { g.fillStyle = s.color; g.fillText(s.label || "", w - m.r - 70, ly + 8); ly += 13; }
    canvas.dataset.points = String(drawn);
    return drawn;
  }
  return { linePlot: linePlot };
})();
