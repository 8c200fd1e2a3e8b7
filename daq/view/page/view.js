// The weldctl live page: polls /api/state a few times a second and draws what it gets. Everything it loads
// comes from the server that served it.
"use strict";
const $ = (id) => document.getElementById(id);
const POLL_MS = 250;
let mode = null;          // "live" | "replay", from the first snapshot
let cursor = null;        // replay: run time (s) shown
let playing = false;
let lastPoll = performance.now();
let welds = [];
const figures = {};       // frame stream -> {fig, img, cap, seq}
const traces = {};        // "stream.channel" -> {box, canvas, label, value}

function f32(b64) {
  const bin = atob(b64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return new Float32Array(bytes.buffer);
}

// Device errors are free text: never let one become markup.
const esc = (v) => String(v).replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

function fmt(v, digits = 3) {
  if (v === null || v === undefined || !isFinite(v)) return "—";
  const a = Math.abs(v);
  if (a >= 1e4) return v.toFixed(0);
  return Number(v.toPrecision(digits)).toString();
}

function clock(s) {
  const m = Math.floor(s / 60);
  return `${String(m).padStart(2, "0")}:${(s - 60 * m).toFixed(2).padStart(5, "0")}`;
}

function frameFigure(f) {
  let e = figures[f.name];
  if (e) return e;
  const fig = document.createElement("figure");
  fig.dataset.frame = f.name;
  const pic = document.createElement("div");
  pic.className = "pic";
  const img = document.createElement("img");
  img.alt = f.name;
  pic.appendChild(img);
  let bar = null;
  if (f.kind === "ir") {
    bar = document.createElement("div");
    bar.className = "bar";
    bar.innerHTML = '<span class="hi mono"></span><img src="/colorbar.png" alt="colour bar"><span class="lo mono"></span>';
    pic.appendChild(bar);
  }
  const cap = document.createElement("figcaption");
  fig.append(pic, cap);
  $("frames").appendChild(fig);
  e = figures[f.name] = { fig, img, cap, bar, seq: null };
  return e;
}

function drawFrames(s) {
  for (const f of s.frames || []) {
    const e = frameFigure(f);
    if (e.seq !== f.seq) {
      e.seq = f.seq;
      const q = s.mode === "replay" ? `t=${s.t_s}` : `seq=${f.seq}`;
      e.img.src = `/api/frame/${encodeURIComponent(f.name)}.png?${q}`;
    }
    e.fig.dataset.t = f.t_s;
    e.fig.dataset.seq = f.seq;
    const sat = f.saturated > 0.001 ? ` · <b style="color:#ff5252">saturated ${(100 * f.saturated).toFixed(1)} %</b>` : "";
    e.cap.innerHTML = `<b>${f.name}</b> (${f.kind}) · t ${f.t_s.toFixed(4)} s · frame ${f.seq} · ${f.width}×${f.height}${sat}`;
    if (e.bar) {
      e.bar.querySelector(".hi").textContent = `${fmt(f.hi, 4)} ${f.units === "degC" ? "°C" : f.units}`;
      e.bar.querySelector(".lo").textContent = `${fmt(f.lo, 4)} ${f.units === "degC" ? "°C" : f.units}`;
    }
  }
}

function traceBox(c) {
  const key = `${c.stream}.${c.channel}`;
  let e = traces[key];
  if (e) return e;
  const box = document.createElement("div");
  box.className = "trace";
  const canvas = document.createElement("canvas");
  canvas.dataset.trace = key;
  const label = document.createElement("span");
  label.className = "label";
  label.textContent = c.level ? `${c.stream} level (${c.units})` : `${c.stream}.${c.channel} (${c.units})`;
  const value = document.createElement("span");
  value.className = "value mono";
  box.append(canvas, label, value);
  $("traces").appendChild(box);
  e = traces[key] = { box, canvas, label, value };
  return e;
}

const COLORS = { daq: "#4fc3f7", oct: "#ce93d8", audio: "#81c784" };

function drawTrace(c, s, laserOn, gaps) {
  const e = traceBox(c);
  const cv = e.canvas;
  const w = cv.clientWidth, h = cv.clientHeight;
  if (cv.width !== w || cv.height !== h) { cv.width = w; cv.height = h; }
  const g = cv.getContext("2d");
  g.clearRect(0, 0, w, h);
  const lo = f32(c.lo), hi = f32(c.hi), n = lo.length;
  let ymin = Infinity, ymax = -Infinity, last = NaN;
  for (let i = 0; i < n; i++) {
    if (isFinite(lo[i])) { ymin = Math.min(ymin, lo[i]); ymax = Math.max(ymax, hi[i]); last = hi[i]; }
  }
  const t1 = c.t0_s + n * c.dt_s;
  // Laser-on shading: where the laser-on line was high, on every trace.
  if (laserOn) {
    g.fillStyle = "rgba(255,111,0,0.13)";
    for (let i = 0; i < n;) {
      if (!laserOn[i]) { i++; continue; }
      let j = i;
      while (j + 1 < n && laserOn[j + 1]) j++;
      g.fillRect((i / n) * w, 0, ((j + 1 - i) / n) * w, h);
      i = j + 1;
    }
  }
  g.strokeStyle = "#1f252c";
  g.beginPath();
  for (let k = 1; k < 10; k++) { const x = Math.round((k / 10) * w) + 0.5; g.moveTo(x, 0); g.lineTo(x, h); }
  g.stroke();
  for (const gp of gaps) {
    if (gp.t_s < c.t0_s || gp.t_s > t1) continue;
    const x = ((gp.t_s - c.t0_s) / (t1 - c.t0_s)) * w;
    g.strokeStyle = "#e53935"; g.setLineDash([4, 3]);
    g.beginPath(); g.moveTo(x, 0); g.lineTo(x, h); g.stroke(); g.setLineDash([]);
  }
  if (!isFinite(ymin)) { e.value.textContent = "no data"; return; }
  if (ymax - ymin < 1e-9) { ymax += 0.5; ymin -= 0.5; }
  const pad = 0.08 * (ymax - ymin);
  const y0 = ymin - pad, y1 = ymax + pad;
  const Y = (v) => h - ((v - y0) / (y1 - y0)) * h;
  // The min/max envelope as one filled band per run of buckets with data: every spike stays visible.
  const color = COLORS[c.kind] || "#e0e0e0";
  g.strokeStyle = color; g.fillStyle = color; g.lineWidth = 1;
  const X = (i) => ((i + 0.5) / n) * w;
  for (let i = 0; i < n;) {
    if (!isFinite(lo[i])) { i++; continue; }
    let j = i;
    while (j + 1 < n && isFinite(lo[j + 1])) j++;
    g.beginPath();
    for (let k = i; k <= j; k++) g.lineTo(X(k), Y(hi[k]));
    for (let k = j; k >= i; k--) g.lineTo(X(k), Y(lo[k]));
    g.closePath(); g.fill(); g.stroke();
    i = j + 1;
  }
  g.fillStyle = "#7d8791";
  g.font = "10px DejaVu Sans Mono, monospace";
  g.fillText(fmt(ymax), 4, 24); g.fillText(fmt(ymin), 4, h - 4);
  // The first grid line's time: run time in a replay, seconds before now in the live view.
  const tl = s.mode === "replay" ? `${(c.t0_s + (t1 - c.t0_s) / 10).toFixed(2)} s` : `-${fmt(0.9 * (t1 - c.t0_s), 2)} s`;
  g.fillText(tl, w / 10 + 3, h - 4);
  e.value.textContent = `${fmt(last, 4)} ${c.units}`;
}

function laserMask(s) {
  const c = (s.traces || []).find((t) => t.channel === "laser_on");
  if (!c || !s.laser || !s.laser.threshold) return null;
  const hi = f32(c.hi);
  return Array.from(hi, (v) => v > s.laser.threshold);
}

function drawTraces(s) {
  const mask = laserMask(s);
  for (const c of s.traces || []) drawTrace(c, s, mask, s.gaps || []);
}

function drawHeader(s) {
  $("run").textContent = s.run_id || "—";
  const lost = (s.alerts || []).some((a) => a.level === "error");
  document.title = `${lost ? "⚠ " : ""}${s.mode === "live" ? "● REC" : "▶"} ${s.run_id} · weldctl`;
  const rec = $("rec");
  rec.classList.toggle("on", s.mode === "live");
  rec.textContent = s.mode === "live" ? "● REC" : "▶ REPLAY";
  $("clock").textContent = s.mode === "live" ? clock(s.elapsed_s || 0) : `${clock(s.t_s)} / ${clock(s.end_s)}`;
  const L = s.laser || {};
  const lamp = $("laser");
  lamp.classList.toggle("absent", !L.present);
  lamp.classList.toggle("on", !!L.on);
  lamp.textContent = L.on ? "LASER ON" : "LASER OFF";
  let weld = L.welds ? `weld ${L.welds}` : "";
  if (s.mode === "live" && L.on && L.since_s !== null) weld += ` · on ${(s.t_end_s - L.since_s).toFixed(2)} s`;
  if (s.mode === "replay") weld = s.weld !== null && s.weld !== undefined ? `in weld ${s.weld}` : "between welds";
  $("weld").textContent = weld;
  const d = s.disk;
  $("disk").textContent = d ? `disk ${d.free_gb === null ? "?" : d.free_gb.toFixed(1)} GB free · ${d.ingest_mb_s.toFixed(0)} MB/s` +
    (d.headroom !== null && d.headroom !== undefined ? ` · headroom ${(100 * d.headroom).toFixed(0)} %` : "") : "";
  const al = $("alerts");
  al.innerHTML = "";
  for (const a of s.alerts || []) {
    const div = document.createElement("div");
    div.className = a.level;
    div.textContent = (a.level === "error" ? "⚠ " : "") + a.text;
    al.appendChild(div);
  }
  const v = s.view;
  $("foot").textContent = v ? `live view: ${v.cpu_s.toFixed(1)} s CPU so far · preview blocks skipped ${v.preview_blocks_skipped}` : "";
}

function drawStreams(s) {
  const rows = (s.streams || []).map((r) => {
    const lost = r.lost ? `<td class="bad">${r.lost.toLocaleString()}</td>` : "<td>0</td>";
    const q = r.queue > 0.25 ? `<td class="warn">${(100 * r.queue).toFixed(0)} %</td>` : `<td>${(100 * r.queue).toFixed(0)} %</td>`;
    const st = r.error ? `<td class="bad">${esc(r.state)}: ${esc(r.error)}</td>` : `<td>${esc(r.state)}</td>`;
    return `<tr><td>${esc(r.name)}</td><td>${esc(r.kind)}</td><td>${r.rate_hz === null ? "—" : Math.round(r.rate_hz).toLocaleString()}</td>` +
      `<td>${Math.round(r.nominal_hz).toLocaleString()}</td><td>${r.samples.toLocaleString()}</td>${lost}<td>${r.gaps}</td>${q}` +
      `<td>${r.mb_s === null ? "—" : r.mb_s.toFixed(1)}</td><td>${r.at_risk_s === null ? "—" : r.at_risk_s.toFixed(2)}</td>${st}</tr>`;
  });
  document.querySelector("#streams tbody").innerHTML = rows.join("");
}

function setupReplay(s) {
  $("replay").hidden = false;
  welds = s.welds || [];
  const range = $("cursor");
  range.min = s.start_s; range.max = s.end_s;
  cursor = s.t_s;
  range.value = cursor;
  const span = s.end_s - s.start_s || 1;
  $("weldmarks").innerHTML = welds.map((w) =>
    `<span style="left:${(100 * (w.t0_s - s.start_s)) / span}%;width:${Math.max(0.3, (100 * (w.t1_s - w.t0_s)) / span)}%" title="weld ${w.id}"></span>`).join("");
  range.addEventListener("input", () => { cursor = parseFloat(range.value); playing = false; $("play").textContent = "▶"; });
  const jump = (dir) => {
    const now = cursor ?? s.start_s;
    const w = dir > 0 ? welds.find((x) => x.t0_s > now + 1e-6) : [...welds].reverse().find((x) => x.t0_s < now - 1e-6 - 0.05);
    // Land a little after the weld starts, so the window shows the weld's start and what led to it.
    if (w) cursor = Math.min(w.t1_s, w.t0_s + Math.min(0.8 * s.window_s, 0.5 * (w.t1_s - w.t0_s) + 0.1));
  };
  $("prev").onclick = () => jump(-1);
  $("next").onclick = () => jump(1);
  $("play").onclick = () => { playing = !playing; $("play").textContent = playing ? "❚❚" : "▶"; };
  document.addEventListener("keydown", (ev) => {
    if (ev.key === "ArrowRight") jump(1);
    else if (ev.key === "ArrowLeft") jump(-1);
    else if (ev.key === " ") { ev.preventDefault(); $("play").click(); }
  });
}

function render(s) {
  if (mode === null) {
    mode = s.mode;
    if (mode === "replay") setupReplay(s);
  }
  drawHeader(s);
  drawFrames(s);
  drawTraces(s);
  drawStreams(s);
  if (mode === "replay") {
    $("tcursor").textContent = `${s.t_s.toFixed(3)} s`;
    if (document.activeElement !== $("cursor")) $("cursor").value = s.t_s;
  }
  document.body.dataset.updated = String(Date.now());
}

async function poll() {
  const now = performance.now();
  if (mode === "replay" && playing && cursor !== null) {
    cursor = Math.min(parseFloat($("cursor").max), cursor + ((now - lastPoll) / 1000) * parseFloat($("speed").value));
  }
  lastPoll = now;
  const q = mode === "replay" && cursor !== null ? `?t=${cursor.toFixed(6)}` : "";
  try {
    const r = await fetch(`/api/state${q}`, { cache: "no-store" });
    if (!r.ok) throw new Error(r.statusText);
    render(await r.json());
    $("status").textContent = mode === "live" ? "live" : "replay";
    $("status").classList.remove("lost");
  } catch (err) {
    $("status").textContent = mode === "live" ? "disconnected: recording ended or recorder stopped" : "disconnected";
    $("status").classList.add("lost");
    $("rec").classList.remove("on");
    document.title = "disconnected · weldctl";
  }
  setTimeout(poll, POLL_MS);
}

poll();
