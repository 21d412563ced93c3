// The dashboard's pages: jobs (live), one job by kind (TEM, BCDI, 4D-STEM), workers.
// Text from the server is only ever set as textContent, never parsed as HTML.
"use strict";
(function () {
  const app = document.getElementById("app");
  let access = "reader";

  function el(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") e.className = v; else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
      else if (k === "dataset") Object.assign(e.dataset, v); else e.setAttribute(k, v);
    }
    for (const k of kids) if (k !== null && k !== undefined) e.append(k instanceof Node ? k : String(k));
    return e;
  }
  async function getJSON(url) {
    const r = await fetch(url, { credentials: "same-origin" });
    const body = await r.json().catch(() => ({}));
    if (!r.ok) throw new Error(body.error || (r.status + " " + r.statusText));
    return body;
  }
  function trackColor(id) {
    if (id === null || id === undefined) return "rgba(200,200,200,.8)";
    return "hsl(" + ((id * 137.508) % 360).toFixed(1) + ",85%,58%)";
  }
  function fmtTime(t) { return t ? new Date(t).toLocaleString() : ""; }
  function show(...nodes) { app.replaceChildren(...nodes); }
  function fail(e) { app.append(el("p", { class: "error" }, String(e.message || e))); }

  // ---- jobs ----
  // The width goes through the CSSOM: the CSP forbids style attributes.
  function bar(pct) { const fill = el("span", {}); fill.style.width = pct + "%"; return el("span", { class: "bar" }, fill); }
  function jobRow(j) {
    const pct = j.n_tasks ? Math.round(100 * (j.n_done + j.n_failed) / j.n_tasks) : 0;
    const actions = el("td", { class: "actions" });
    if (access === "operator") {
      if (j.state === "queued" || j.state === "running") actions.append(el("button", { class: "cancel", onclick: e => act(e.target, j.id, "cancel") }, "cancel"));
      if (j.state === "failed" || j.state === "cancelled") actions.append(el("button", { class: "retry", onclick: e => act(e.target, j.id, "retry") }, "retry"));
    }
    actions.dataset.actions = Array.from(actions.children, b => b.className).join();
    return el("tr", { "data-job": j.id, "data-state": j.state, "data-done": j.n_done, "data-tasks": j.n_tasks },
      el("td", {}, el("a", { href: "/jobs/" + j.id }, j.id)),
      el("td", {}, j.kind),
      el("td", { class: "state-" + j.state }, j.state),
      el("td", {}, bar(pct), " ", j.n_done + "/" + j.n_tasks,
        j.n_failed ? el("span", { class: "state-failed" }, " (" + j.n_failed + " failed)") : null),
      el("td", {}, j.tasks_per_second ? j.tasks_per_second.toFixed(1) : "–"),
      el("td", { class: "input", title: j.input }, j.input),
      el("td", {}, fmtTime(j.submitted_at)),
      actions);
  }
  // Rows are updated in place, keyed by job, and a row's buttons are kept while its actions stay
  // the same: pushes come several times a second while a job runs, and a button replaced between
  // the user's mouse press and release would swallow the click.
  function syncJobRows(body, jobs) {
    const existing = new Map(Array.from(body.children, r => [r.dataset.job, r]));
    const rows = jobs.map(j => {
      const fresh = jobRow(j), row = existing.get(String(j.id));
      if (!row) return fresh;
      for (const name of fresh.getAttributeNames()) row.setAttribute(name, fresh.getAttribute(name));
      Array.from(fresh.children).forEach((cell, i) => {
        const old = row.children[i];
        if (!old) { row.append(cell); return; }
        const sameButtons = cell.dataset.actions !== undefined && old.dataset.actions === cell.dataset.actions;
        if (!sameButtons && !old.isEqualNode(cell)) old.replaceWith(cell);
      });
      return row;
    });
    // Move only rows that are out of place, so unchanged rows never leave the document.
    rows.forEach((row, i) => { if (body.children[i] !== row) body.insertBefore(row, body.children[i] || null); });
    while (body.children.length > rows.length) body.lastElementChild.remove();
  }
  // An operator's action: its outcome (the server's sentence) is shown above the table, and
  // the list is read again at once rather than waiting for the next push.
  let refreshJobs = () => {};
  async function act(button, id, what) {
    const out = document.getElementById("action-result");
    button.disabled = true;
    try {
      const r = await fetch("/api/jobs/" + id + "/" + what, { method: "POST", credentials: "same-origin", headers: { "X-Slipline-Request": "1" } });
      const body = await r.json().catch(() => ({}));
      out.textContent = body.message || body.error || (what + ": " + r.status + " " + r.statusText);
      out.dataset.outcome = r.ok ? "ok" : "refused";
    } catch (e) {
      out.textContent = what + " job " + id + ": " + (e.message || e);
      out.dataset.outcome = "refused";
    }
    out.className = out.dataset.outcome === "ok" ? "outcome" : "outcome error";
    button.disabled = false;
    refreshJobs();
  }
  function jobsPage() {
    const body = el("tbody", {});
    show(el("h1", {}, "Jobs"), el("p", { id: "action-result", class: "outcome", role: "status" }), el("table", { id: "jobs" },
      el("thead", {}, el("tr", {}, ...["job", "kind", "state", "progress", "tasks/s", "input", "submitted", ""].map(h => el("th", {}, h)))), body));
    const render = list => {
      syncJobRows(body, list.jobs);
      // What the newest job's progress was at each update: lets a test (or a curious user) see it move.
      const d = document.body.dataset, newest = list.jobs[0];
      d.jobsUpdates = String(+(d.jobsUpdates || 0) + 1);
      if (newest) d.progressTrace = ((d.progressTrace ? d.progressTrace + "," : "") + newest.n_done).split(",").slice(-50).join(",");
    };
    refreshJobs = () => getJSON("/api/jobs").then(render).catch(fail);
    refreshJobs();
    const live = document.getElementById("live");
    const source = new EventSource("/api/events");
    source.addEventListener("jobs", e => { render(JSON.parse(e.data)); live.classList.add("on"); });
    source.onerror = () => live.classList.remove("on");
  }

  // ---- workers ----
  // A worker claims ahead of its slots: name the first few tasks, count the rest.
  function holdsText(holds) {
    if (!holds.length) return "–";
    const shown = holds.slice(0, 4).map(t => "task " + t.task_id + " (job " + t.job_id + ", " + t.kind + ")").join(", ");
    return holds.length > 4 ? shown + " … +" + (holds.length - 4) + " more" : shown;
  }
  function workersPage() {
    const body = el("tbody", {});
    show(el("h1", {}, "Workers"), el("table", { id: "workers" },
      el("thead", {}, el("tr", {}, ...["worker", "host", "pid", "slots", "state", "last heartbeat", "holds"].map(h => el("th", {}, h)))), body));
    const load = () => getJSON("/api/workers").then(d => body.replaceChildren(...d.workers.map(w => el("tr", {
        "data-worker": w.id, "data-alive": String(w.alive), "data-heartbeat-age": w.heartbeat_age_s,
        "data-holds": w.holds.map(t => t.task_id).join(), "data-hold-jobs": [...new Set(w.holds.map(t => t.job_id))].join() },
      el("td", {}, w.id), el("td", {}, w.host), el("td", {}, w.pid), el("td", {}, w.slots),
      el("td", { class: w.alive ? "state-running" : "state-queued" }, w.state + (w.alive ? "" : " (silent)")),
      el("td", {}, w.heartbeat_age_s + " s ago"),
      el("td", { title: w.holds.map(t => t.task_id).join(", ") }, holdsText(w.holds)))))).catch(fail);
    load(); setInterval(load, 3000);
  }

  // ---- one job ----
  async function jobPage(id) {
    const detail = await getJSON("/api/jobs/" + id);
    const j = detail.job;
    show(el("h1", {}, "Job " + j.id + " · " + j.kind + " · ", el("span", { class: "state-" + j.state }, j.state)),
      el("p", { class: "muted" }, j.input + " — " + j.n_done + "/" + j.n_tasks + " tasks done" + (j.n_failed ? ", " + j.n_failed + " failed" : "")),
      ...detail.failures.map(f => el("p", { class: "error" }, "task " + f.task_id + " (" + f.kind + "): " + f.error)));
    if (j.kind === "tem") return temPage(id);
    if (j.kind === "bcdi") return bcdiPage(id);
    if (j.kind === "stem4d") return stemPage(id);
  }

  // TEM: frame scrubber with tracks over the frame, velocity and pair-distance plots.
  async function temPage(id) {
    const t0 = performance.now();
    const s = await getJSON("/api/jobs/" + id + "/tem");
    if (!s.n_frames) { app.append(el("p", { class: "muted" }, "No frames analysed yet.")); return; }
    const canvas = el("canvas", { id: "frame", width: s.width, height: s.height });
    const slider = el("input", { type: "range", id: "scrub", min: 0, max: s.last_frame, value: 0 });
    const label = el("span", { id: "frame-label" }, "frame 0");
    const play = el("button", {}, "▶");
    const velocity = el("canvas", { class: "plot", id: "velocity" }), pairs = el("canvas", { class: "plot", id: "pairs" });
    app.append(el("div", { class: "row" },
      el("div", { class: "panel" }, el("div", { class: "stage" }, canvas), el("div", { class: "scrub" }, play, slider, label)),
      el("div", {}, el("h2", {}, "Speed of each track (px/frame)"), velocity, el("h2", {}, "Pile-up pair distance (px)"), pairs,
        el("h2", {}, "Export"), el("p", {}, ...s.exports.flatMap(u => [el("a", { href: u, download: "" }, u.split("/").pop()), " "])),
        el("h2", {}, s.tracks.length + " tracks"))));
    const chunk = 200, cache = new Map(), images = new Map();
    function curves(frame) {
      const c = Math.floor(frame / chunk);
      if (!cache.has(c)) cache.set(c, getJSON("/api/jobs/" + id + "/tem/dislocations?from=" + c * chunk + "&to=" + (c * chunk + chunk - 1)).then(d => {
        const by = new Map(); for (const x of d.dislocations) { if (!by.has(x.frame_index)) by.set(x.frame_index, []); by.get(x.frame_index).push(x); } return by;
      }));
      return cache.get(c).then(by => by.get(frame) || []);
    }
    function image(frame) {
      if (!images.has(frame)) {
        images.set(frame, new Promise((ok, bad) => { const im = new Image(); im.onload = () => ok(im); im.onerror = () => bad(new Error("frame " + frame + " could not be loaded")); im.src = "/api/jobs/" + id + "/tem/frames/" + frame + "/image"; }));
        if (images.size > 64) images.delete(images.keys().next().value);
      }
      return images.get(frame);
    }
    let shown = -1, wanted = 0, plotData = null;
    async function showFrame(frame) {
      wanted = frame;
      const [im, cs] = await Promise.all([image(frame), curves(frame)]);
      if (wanted !== frame) return;
      const g = canvas.getContext("2d");
      g.drawImage(im, 0, 0, s.width, s.height);
      g.lineWidth = 2;
      for (const d of cs) {
        g.strokeStyle = trackColor(d.track_id); g.beginPath();
        d.points.forEach((p, i) => i ? g.lineTo(p[0] + .5, p[1] + .5) : g.moveTo(p[0] + .5, p[1] + .5)); g.stroke();
        if (d.track_id !== null && d.points.length) { g.fillStyle = trackColor(d.track_id); g.font = "12px system-ui"; g.fillText("#" + d.track_id, d.points[0][0] + 3, d.points[0][1] - 3); }
      }
      shown = frame; label.textContent = "frame " + frame + " · " + cs.length + " curves";
      canvas.dataset.frame = String(frame); canvas.dataset.curves = String(cs.length);
      if (!document.body.dataset.temReadyMs) document.body.dataset.temReadyMs = String(Math.round(performance.now() - t0));
      if (plotData) drawPlots();
      // Fetch ahead so that scrubbing forward does not wait.
      curves(frame + chunk / 2); image(Math.min(s.last_frame, frame + 1));
    }
    function drawPlots() {
      SliplinePlots.linePlot(velocity, plotData.v.tracks.map(t => ({ x: t.frames, y: t.speed_px, color: trackColor(t.track_id), label: "#" + t.track_id })),
        { xLabel: "frame", yLabel: "speed (px/frame)", xMin: 0, xMax: s.last_frame, cursorX: shown });
      SliplinePlots.linePlot(pairs, plotData.p.tracks.slice(0, 6).map(t => ({ x: t.frames, y: t.distance_px, color: trackColor(t.track_id), label: "#" + t.track_id })),
        { xLabel: "frame", yLabel: "distance (px)", xMin: 0, xMax: s.last_frame, cursorX: shown });
    }
    slider.addEventListener("input", () => showFrame(+slider.value));
    let timer = null;
    play.addEventListener("click", () => {
      if (timer) { clearInterval(timer); timer = null; play.textContent = "▶"; return; }
      play.textContent = "❚❚";
      timer = setInterval(() => { if (shown === wanted) { slider.value = String((+slider.value + 1) % (s.last_frame + 1)); showFrame(+slider.value); } }, 50);
    });
    // The series are asked for at once, in parallel with the first frame, and drawn when they come.
    const series = Promise.all([getJSON("/api/jobs/" + id + "/tem/velocities"), getJSON("/api/jobs/" + id + "/tem/pair-distances")]);
    await showFrame(0);
    const [v, p] = await series;
    plotData = { v: v, p: p }; drawPlots();
    document.body.dataset.temPlotsMs = String(Math.round(performance.now() - t0));
  }

  function grey(canvas, proj) {
    canvas.width = proj.width; canvas.height = proj.height;
    const g = canvas.getContext("2d"), im = g.createImageData(proj.width, proj.height);
    for (let i = 0; i < proj.values.length; i++) { const v = proj.values[i]; im.data[4 * i] = v; im.data[4 * i + 1] = Math.round(v * .8); im.data[4 * i + 2] = Math.round(v * .45); im.data[4 * i + 3] = 255; }
    g.putImageData(im, 0, 0);
  }

  // BCDI: Ψ projections, lines in 3D (all volumes or one), tracks across volumes.
  async function bcdiPage(id) {
    const b = await getJSON("/api/jobs/" + id + "/bcdi");
    if (!b.volumes.length) { app.append(el("p", { class: "muted" }, "No volumes analysed yet.")); return; }
    const select = el("select", { id: "volume" }, el("option", { value: "all" }, "all volumes (colour = track)"),
      ...b.volumes.map(v => el("option", { value: v.volume_index }, "volume " + v.volume_index + " · " + v.n_lines + " lines")));
    const view = el("canvas", { class: "view3d", id: "view3d" });
    const projs = ["z", "y", "x"].map(a => el("canvas", { class: "psi", "data-axis": a }));
    const projLabel = el("p", { class: "muted" });
    app.append(el("div", { class: "row" },
      el("div", { class: "panel" }, el("h2", {}, "Lines in 3D (drag to rotate, wheel to zoom) "), select, el("div", {}, view)),
      el("div", { class: "panel" }, el("h2", {}, "Ψ maximum projections along z, y, x"), el("div", { class: "row" }, ...projs), projLabel)),
      el("h2", {}, b.tracks.length + " tracks across " + b.volumes.length + " volumes"),
      el("table", {}, el("tr", {}, ...["track", "volumes", "displacement (vox)"].map(h => el("th", {}, h))),
        ...b.tracks.map(t => el("tr", {}, el("td", {}, "#" + t.track_id), el("td", {}, t.first_volume + "–" + t.last_volume + " (" + t.n_volumes + ")"), el("td", {}, (+t.total_displacement_vox).toFixed(2))))));
    const v3 = SliplineView3D(view);
    async function pick() {
      const which = select.value;
      const ls = b.lines.filter(l => which === "all" || l.volume_index === +which);
      v3.set(ls.map(l => ({ points: l.points, color: trackColor(l.track_id === null ? l.line_id : l.track_id) })));
      const vi = which === "all" ? b.volumes[0].volume_index : +which;
      try {
        const p = await getJSON("/api/jobs/" + id + "/bcdi/volumes/" + vi + "/psi-projections");
        p.projections.forEach((proj, i) => grey(projs[i], proj));
        projLabel.textContent = "volume " + vi + ", shape " + p.shape.join("×") + ", max Ψ " + p.max_psi.toFixed(3);
      } catch (e) { projLabel.textContent = String(e.message); }
      document.body.dataset.bcdiReady = "1";
    }
    select.addEventListener("change", pick);
    await pick();
  }

  // 4D-STEM: virtual images with the stereo pair side by side, 3D lines or particles, g(r).
  async function stemPage(id) {
    const s = await getJSON("/api/jobs/" + id + "/stem4d");
    const figure = im => el("figure", {}, el("img", { src: im.url, alt: im.name }), el("figcaption", {}, im.name + (im.stereo_angle_deg !== null ? " · tilt " + (+im.stereo_angle_deg).toFixed(2) + "°" : "")));
    const stereo = s.images.filter(im => im.stereo_angle_deg !== null), other = s.images.filter(im => im.stereo_angle_deg === null);
    const view = el("canvas", { class: "view3d", id: "view3d" }), rdf = el("canvas", { class: "plot", id: "rdf" });
    app.append(
      s.summary ? el("p", { class: "muted" }, "mode " + s.summary.mode + " · scan " + JSON.stringify(s.summary.shape) + (s.summary.stereo_angle_deg !== null ? " · stereo angle " + (+s.summary.stereo_angle_deg).toFixed(2) + "°" : "")) : null,
      el("h2", {}, "Stereo pair"), el("div", { class: "row images", id: "stereo" }, ...stereo.map(figure)),
      el("h2", {}, "Virtual images"), el("div", { class: "row images" }, ...other.map(figure)),
      el("div", { class: "row" },
        el("div", { class: "panel" }, el("h2", {}, s.lines.length ? s.lines.length + " lines in 3D" : s.particles.length + " particles in 3D"), view),
        el("div", { class: "panel" }, el("h2", {}, "g(r), r in scan pixels"), rdf)));
    const v3 = SliplineView3D(view);
    v3.set(s.lines.map(l => ({ points: l.points, color: trackColor(l.line_id) })),
      s.particles.map(p => ({ x: p.x, y: p.y, z: p.z, r: p.radius, color: trackColor(p.particle_id) })));
    SliplinePlots.linePlot(rdf, s.rdf.length ? [{ x: s.rdf.map(p => p.r), y: s.rdf.map(p => p.g), color: "#4aa3ff", label: "g(r)" }] : [], { xLabel: "r (px)", yLabel: "g(r)" });
    document.body.dataset.stemReady = "1";
  }

  async function start() {
    try { access = (await getJSON("/api/session")).access; } catch (e) { fail(e); return; }
    document.getElementById("access").textContent = access === "operator" ? "operator" : "read-only";
    const path = location.pathname;
    const m = path.match(/^\/jobs\/(\d+)$/);
    try {
      if (m) await jobPage(+m[1]); else if (path === "/workers") workersPage(); else jobsPage();
    } catch (e) { fail(e); }
  }
  start();
})();
