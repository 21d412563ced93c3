// A rotatable 3D view of polylines and spheres on a plain 2D canvas (no library, no WebGL
// needed): orthographic projection, drag to rotate, wheel to zoom, segments drawn back to
// front. Sets canvas.dataset.rendered to the number of primitives drawn (for tests).
"use strict";
window.SliplineView3D = function (canvas) {
  let lines = [], balls = [], yaw = 0.6, pitch = -0.5, zoom = 1, center = [0, 0, 0], radius = 1;
  function bounds() {
    const pts = [];
    for (const l of lines) for (const p of l.points) pts.push(p);
    for (const b of balls) pts.push([b.x, b.y, b.z]);
    if (!pts.length) { center = [0, 0, 0]; radius = 1; return; }
    const lo = [0, 1, 2].map(i => Math.min(...pts.map(p => p[i]))), hi = [0, 1, 2].map(i => Math.max(...pts.map(p => p[i])));
    center = lo.map((v, i) => (v + hi[i]) / 2);
    radius = Math.max(1, Math.hypot(hi[0] - lo[0], hi[1] - lo[1], hi[2] - lo[2]) / 2);
  }
  function project(p, w, h) {
    const x = p[0] - center[0], y = p[1] - center[1], z = p[2] - center[2];
    const cy = Math.cos(yaw), sy = Math.sin(yaw), cp = Math.cos(pitch), sp = Math.sin(pitch);
    const x1 = cy * x + sy * z, z1 = -sy * x + cy * z;
    const y2 = cp * y - sp * z1, z2 = sp * y + cp * z1;
    const s = zoom * 0.45 * Math.min(w, h) / radius;
    return [w / 2 + s * x1, h / 2 + s * y2, z2, s];
  }
  function draw() {
    const dpr = window.devicePixelRatio || 1, w = canvas.clientWidth || 560, h = canvas.clientHeight || 420;
    canvas.width = w * dpr; canvas.height = h * dpr;
    const g = canvas.getContext("2d");
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.fillStyle = "#0b0d10"; g.fillRect(0, 0, w, h);
    const prims = [];
    for (const l of lines) {
      for (let i = 1; i < l.points.length; i++) {
        const a = project(l.points[i - 1], w, h), b = project(l.points[i], w, h);
        prims.push({ z: (a[2] + b[2]) / 2, f: () => { g.strokeStyle = l.color; g.lineWidth = 2.2; g.beginPath(); g.moveTo(a[0], a[1]); g.lineTo(b[0], b[1]); g.stroke(); } });
      }
    }
    for (const b of balls) {
      const p = project([b.x, b.y, b.z], w, h);
      prims.push({ z: p[2], f: () => { g.fillStyle = b.color; g.globalAlpha = .8; g.beginPath(); g.arc(p[0], p[1], Math.max(1.5, b.r * p[3]), 0, 2 * Math.PI); g.fill(); g.globalAlpha = 1; } });
    }
    prims.sort((a, b) => a.z - b.z);
    for (const p of prims) p.f();
    // Axes triad: x red, y green, z blue (array axes, see INTERFACE.md "Coordinates").
    const o = [w - 50, h - 50];
    [[1, 0, 0, "#ff5d5d", "x"], [0, 1, 0, "#3ecf8e", "y"], [0, 0, 1, "#4aa3ff", "z"]].forEach(a => {
      const saveC = center, saveR = radius, saveZ = zoom; center = [0, 0, 0]; radius = 1; zoom = 1;
      const p = project([a[0], a[1], a[2]], 60, 60); center = saveC; radius = saveR; zoom = saveZ;
      g.strokeStyle = a[3]; g.lineWidth = 2; g.beginPath(); g.moveTo(o[0], o[1]); g.lineTo(o[0] + p[0] - 30, o[1] + p[1] - 30); g.stroke();
      g.fillStyle = a[3]; g.font = "11px system-ui"; g.fillText(a[4], o[0] + (p[0] - 30) * 1.2, o[1] + (p[1] - 30) * 1.2);
    });
    canvas.dataset.rendered = String(prims.length);
    canvas.dataset.yaw = yaw.toFixed(3);
  }
  let drag = null;
  canvas.addEventListener("pointerdown", e => { drag = [e.clientX, e.clientY]; canvas.setPointerCapture(e.pointerId); });
  canvas.addEventListener("pointermove", e => {
    if (!drag) return;
    yaw += (e.clientX - drag[0]) * 0.01; pitch = Math.max(-1.55, Math.min(1.55, pitch + (e.clientY - drag[1]) * 0.01));
    drag = [e.clientX, e.clientY]; draw();
  });
  canvas.addEventListener("pointerup", () => { drag = null; });
  canvas.addEventListener("wheel", e => { e.preventDefault(); zoom = Math.max(.2, Math.min(20, zoom * Math.exp(-e.deltaY * 0.001))); draw(); }, { passive: false });
  return {
    set: function (newLines, newBalls) { lines = newLines || []; balls = newBalls || []; bounds(); draw(); },
    rotate: function (dYaw, dPitch) { yaw += dYaw; pitch += dPitch || 0; draw(); },
    draw: draw,
  };
};
