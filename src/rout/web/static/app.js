// rout dashboard: controls -> POST /api/run -> SVG charts, animated map, timeline;
// on request, POST /api/explain -> the days each mechanism moved each fall.
"use strict";

const $ = (sel) => document.querySelector(sel);
const SVGNS = "http://www.w3.org/2000/svg";
// state colours and labels come with every result, from the model's registry of states
const PALETTE = ["#CC6677", "#DDCC77", "#332288", "#117733", "#88CCEE", "#882255",
                 "#44AA99", "#999933", "#AA4499"];

let info = null;      // /api/scenarios
let result = null;    // last /api/run answer
let timer = null;     // map animation

function el(tag, attrs = {}, text = "") {
  const node = document.createElementNS(SVGNS, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text) node.textContent = text;
  return node;
}

function dateLabel(day, hour = false) {
  if (day === null || day === undefined) return "held";
  let text = `day ${day.toFixed(hour ? 2 : 1)}`;
  if (result && result.start_date) {
    const d = new Date(Date.parse(result.start_date) + Math.round(day * 24) * 3600000);
    const opts = { day: "2-digit", month: "short", timeZone: "UTC" };
    if (hour) Object.assign(opts, { hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
    text += ` (${d.toLocaleString("en-GB", opts)})`;
  }
  return text;
}

function showError(message) {
  const box = $("#error");
  box.textContent = message;
  box.hidden = !message;
}

// ------------------------------------------------------------------ controls
function leverInput(lever) {
  const label = document.createElement("label");
  label.title = lever.help;
  label.innerHTML = `${lever.label} <span class="value"></span>`;
  const input = document.createElement("input");
  Object.assign(input, { type: "range", id: `lever-${lever.name}`, min: lever.min,
                         max: lever.max, step: lever.step });
  const show = () => { label.querySelector(".value").textContent = Number(input.value).toFixed(2); };
  input.addEventListener("input", show);
  input.show = show;
  label.appendChild(input);
  return label;
}

function current() {
  return info.scenarios.find((s) => s.name === $("#scenario").value);
}

function resetLevers() {
  const sc = current();
  $("#description").textContent = sc.description;
  $("#population").placeholder = sc.soldiers;
  $("#days").placeholder = sc.days;
  for (const lever of info.levers) {
    const input = $(`#lever-${lever.name}`);
    input.value = sc.levers[lever.name];
    input.show();
  }
  const backup = sc.levers.backup_real;
  $("#lever-backup_real").value = backup === null ? "" : String(backup);
  $("#lever-amnesty_on").checked = sc.levers.amnesty_on;
}

async function init() {
  const answer = await fetch("/api/scenarios");
  info = await answer.json();
  const select = $("#scenario");
  for (const sc of info.scenarios) select.add(new Option(sc.name, sc.name));
  select.value = info.scenarios.some((s) => s.name === "syria-2024") ? "syria-2024"
    : info.scenarios[0].name;
  const before = $("#lever-backup_real").parentElement;
  for (const lever of info.levers) before.before(leverInput(lever));
  for (const [name, [lo, hi]] of Object.entries(info.limits)) {
    Object.assign($(`#${name}`), { min: lo, max: hi });
  }
  $("#runs").value = info.default_runs;
  const [lo, hi] = info.limits.runs;
  Object.assign($("#explain-runs"), { min: lo, max: hi, value: info.explain.default_runs });
  $("#explain-cost").textContent = `Runs every case, all on and each of the `
    + `${info.explain.cases - 1} mechanisms switched off in turn: about ${info.explain.cases}x `
    + "the work of a Run with as many runs. It uses the scenario, population, horizon and "
    + "levers above.";
  $("#explain").addEventListener("click", explain);
  resetLevers();
  select.addEventListener("change", resetLevers);
  $("#reset").addEventListener("click", resetLevers);
  $("#controls").addEventListener("submit", (event) => { event.preventDefault(); run(); });
  $("#play").addEventListener("click", togglePlay);
  $("#frame").addEventListener("input", () => { stop(); showFrame(Number($("#frame").value)); });
}

function numberOrNull(id) {
  const text = $(id).value.trim();
  return text === "" ? null : Number(text);
}

function request() {
  const levers = {};
  for (const lever of info.levers) levers[lever.name] = Number($(`#lever-${lever.name}`).value);
  const backup = $("#lever-backup_real").value;
  levers.backup_real = backup === "" ? null : backup === "true";
  levers.amnesty_on = $("#lever-amnesty_on").checked;
  return {
    scenario: $("#scenario").value, runs: numberOrNull("#runs"), seed: numberOrNull("#seed"),
    population: numberOrNull("#population"), days: numberOrNull("#days"), levers,
  };
}

async function run() {
  const body = request();
  $("#status").textContent = `Running ${body.runs} seed(s) of ${body.scenario}...`;
  await post("/api/run", body, "#run", "#status", "Nothing was run.", render);
}

// POST a request with its button disabled meanwhile; a refusal or no answer is shown, and
// `status` says nothing was done; otherwise `draw` gets the answer
async function post(url, body, button, status, nothing, draw) {
  showError("");
  $(button).disabled = true;
  try {
    const answer = await fetch(url, {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
    const data = await answer.json();
    if (!answer.ok) {
      showError(`Refused (${answer.status}): ${data.message || answer.statusText}`);
      $(status).textContent = nothing;
      return;
    }
    draw(data);
  } catch (err) {
    showError(`The server did not answer: ${err}`);
    $(status).textContent = nothing;
  } finally {
    $(button).disabled = false;
  }
}

async function explain() {
  const body = { ...request(), runs: numberOrNull("#explain-runs") };
  $("#explain-box").hidden = false;
  $("#chart-explain").replaceChildren();
  $("#explain-label").textContent = "";
  $("#explain-status").textContent = `Explaining ${body.scenario}: ${info.explain.cases} `
    + `cases x ${body.runs} run(s)...`;
  await post("/api/explain", body, "#explain", "#explain-status", "Nothing was explained.",
             drawExplain);
}

// ------------------------------------------------------------------ charts
function chart(svg, days, lines, { percent = false, ymax = null } = {}) {
  const W = 520, H = 250, L = 58, R = 110, T = 10, B = 32;
  svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
  svg.replaceChildren();
  const xmax = days[days.length - 1] || 1;
  let top = ymax;
  if (top === null) {
    top = 0;
    for (const line of lines) for (const v of line.hi) if (v !== null && v > top) top = v;
    top = top > 0 ? top * 1.05 : 1;
  }
  const x = (d) => L + (d / xmax) * (W - L - R);
  const y = (v) => T + (1 - v / top) * (H - T - B);
  const fmt = (v) => percent ? `${Math.round(v * 100)}%`
    : v >= 1000 ? `${Math.round(v / 1000)}k` : `${+v.toFixed(2)}`;
  for (let i = 0; i <= 4; i++) {
    const v = (top * i) / 4;
    svg.append(el("line", { x1: L, x2: W - R, y1: y(v), y2: y(v), stroke: "#e2e8f0" }));
    svg.append(el("text", { x: L - 6, y: y(v) + 4, "text-anchor": "end", "font-size": 11 }, fmt(v)));
  }
  const step = xmax > 20 ? 5 : xmax > 6 ? 2 : xmax > 2 ? 1 : 0.5;
  for (let d = 0; d <= xmax + 1e-9; d += step) {
    svg.append(el("text", { x: x(d), y: H - B + 16, "text-anchor": "middle", "font-size": 11 }, `${d}`));
  }
  svg.append(el("text", { x: (L + W - R) / 2, y: H - 2, "text-anchor": "middle", "font-size": 11 }, "day"));
  svg.append(el("line", { x1: L, x2: L, y1: T, y2: H - B, stroke: "#4a5568" }));
  svg.append(el("line", { x1: L, x2: W - R, y1: H - B, y2: H - B, stroke: "#4a5568" }));
  lines.forEach((line, k) => {
    const pts = (arr) => days.map((d, i) => arr[i] === null ? null : `${x(d)},${y(arr[i])}`)
      .filter((p) => p !== null);
    if (result.runs > 1) {
      const band = [...pts(line.hi), ...pts(line.lo).reverse()].join(" ");
      svg.append(el("polygon", { points: band, fill: line.colour, "fill-opacity": 0.18 }));
    }
    svg.append(el("polyline", { points: pts(line.median).join(" "), fill: "none",
                                stroke: line.colour, "stroke-width": 1.8 }));
    svg.append(el("rect", { x: W - R + 8, y: T + k * 15, width: 10, height: 10, fill: line.colour }));
    svg.append(el("text", { x: W - R + 22, y: T + k * 15 + 9, "font-size": 11 }, line.label));
  });
  const cursor = el("line", { class: "cursor", x1: L, x2: L, y1: T, y2: H - B,
                              stroke: "#1a202c", "stroke-dasharray": "3 3" });
  cursor.dataset.scale = JSON.stringify({ L, span: W - L - R, xmax });
  svg.append(cursor);
}

function lines(group, colours, labels = {}) {
  return Object.entries(group)
    .filter(([, band]) => band.hi.some((v) => v !== null && v > 0))
    .map(([name, band], i) => ({ label: labels[name] || name.replace("_", " "),
                                 colour: colours[name] || PALETTE[i % PALETTE.length], ...band }));
}

// ------------------------------------------------------------------ explain
// The report's figure (viz.plots.explain) in SVG: a panel per outcome, a row per mechanism
// switched off; the dot is how many days its median moved against all on (+: the mechanism
// hastened it), the bar the 5-95% of its runs against the same median, "held" a case that
// happened in fewer than half its runs (no median to move).
const EXPLAIN = { W: 1020, label: 96, row: 14, top: 24, axis: 18, gap: 16,
                  bar: "#88CCEE", dot: "#332288", held: "#882255" };

function niceStep(span) {  // about six ticks at 1, 2 or 5 times a power of ten
  const raw = span / 6;
  const mag = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * mag).find((v) => v >= raw);
}

function signed(v, digits = 1) {
  return `${v > 0 ? "+" : ""}${v.toFixed(digits)}`;
}

function drawExplain(data) {
  const E = EXPLAIN;
  const svg = $("#chart-explain");
  svg.replaceChildren();
  const mechs = data.mechanisms;
  const row = Object.fromEntries(data.rows.map((r) => [`${r.outcome}|${r.mechanism}`, r]));
  const values = [0];
  for (const r of data.rows) {
    for (const v of [r.shift_days, r.shift_p05, r.shift_p95]) if (v !== null) values.push(v);
  }
  const pad = Math.max((Math.max(...values) - Math.min(...values)) * 0.08, 0.25);
  const lo = Math.min(...values) - pad, hi = Math.max(...values) + pad;
  const step = niceStep(hi - lo);
  const cols = Math.min(3, data.outcomes.length);
  const pw = E.W / cols;
  const plotH = mechs.length * E.row;
  const ph = E.top + plotH + E.axis;
  data.outcomes.forEach((o, k) => {
    const g = el("g", { class: "explain-panel", "data-outcome": o.name,
                        transform: `translate(${(k % cols) * pw},${Math.floor(k / cols) * (ph + E.gap)})` });
    const x = (v) => E.label + ((v - lo) / (hi - lo)) * (pw - E.label - 12);
    const y = (i) => E.top + (i + 0.5) * E.row;
    for (let t = Math.ceil(lo / step); t * step <= hi; t++) {
      const v = t * step;
      g.append(el("line", { x1: x(v), x2: x(v), y1: E.top, y2: E.top + plotH, stroke: "#e2e8f0" }));
      g.append(el("text", { x: x(v), y: E.top + plotH + 13, "text-anchor": "middle",
                            "font-size": 10 }, v === 0 ? "0" : signed(v, step < 1 ? 1 : 0)));
    }
    g.append(el("line", { x1: x(0), x2: x(0), y1: E.top, y2: E.top + plotH, stroke: "#4a5568" }));
    const base = row[`${o.name}|${data.baseline}`];
    g.append(el("text", { x: 4, y: 15, "font-size": 12, "font-weight": 600 }, base.held
      ? `${o.label}: held (fell in ${base.happened_runs} of ${base.runs} runs) with all on`
      : `${o.label} (all on: day ${base.median_day.toFixed(1)})`));
    mechs.forEach((m, i) => {
      const name = el("text", { x: E.label - 6, y: y(i) + 4, "text-anchor": "end",
                                "font-size": 10.5 }, m.name);
      name.append(el("title", {}, m.help));
      g.append(name);
      if (base.held) return;  // nothing to move
      const r = row[`${o.name}|${m.name}`];
      const tip = el("title", {}, r.held
        ? `without ${m.name}: held (fell in ${r.happened_runs} of ${r.runs} runs)`
        : `without ${m.name}: day ${r.median_day.toFixed(1)}, ${signed(r.shift_days)} d`
          + (r.shift_p95 === null ? "" : ` (5-95%: ${signed(r.shift_p05)} to ${signed(r.shift_p95)} d)`));
      if (r.held) {
        const t = el("text", { x: x(0) + 3, y: y(i) + 4, "font-size": 10, fill: E.held,
                               class: "held", "data-mechanism": m.name }, "held");
        t.append(tip);
        g.append(t);
        return;
      }
      if (r.shift_p05 !== null && r.shift_p95 !== null) {
        g.append(el("line", { x1: x(r.shift_p05), x2: x(r.shift_p95), y1: y(i), y2: y(i),
                              stroke: E.bar, "stroke-width": 4 }));
      }
      const dot = el("circle", { cx: x(r.shift_days), cy: y(i), r: 3.2, fill: E.dot,
                                 class: "moved", "data-mechanism": m.name });
      dot.append(tip);
      g.append(dot);
    });
    svg.append(g);
  });
  const rows = Math.ceil(data.outcomes.length / cols);
  const bottom = rows * (ph + E.gap);
  svg.append(el("text", { x: E.W / 2, y: bottom + 2, "text-anchor": "middle", "font-size": 11 },
    `days later without the mechanism (+: it hastened the outcome); bar: 5-95% of its `
    + `${data.runs} runs`));
  svg.setAttribute("viewBox", `0 0 ${E.W} ${bottom + 10}`);
  $("#explain-label").textContent = `(${data.runs} runs per case, root seed ${data.seed})`;
  const used = Object.entries(data.overrides).map(([k, v]) => `${k}=${v}`).join(", ");
  $("#explain-status").textContent = `${data.scenario}: ${data.cases} cases x ${data.runs} `
    + `runs (${data.total_runs} runs), answered in ${data.elapsed.toFixed(1)} s. Parameters `
    + `used: ${used || "the scenario as written"}.`;
}

// ------------------------------------------------------------------ map
// The report's map, drawn in SVG: the same box (view_bounds), the shipped Natural Earth
// geography, the same colours; place names placed clear of each other and of every marker
// at its largest, and the legend below the map, so neither ever hides a place. The ground
// nearest each place (the report's `territory`, sent as polygons) is filled once it is taken.
const MAP_W = 520;
const LEGEND_ROW = 17;

function project(bounds, width) {
  const [w, s, e, n] = bounds;
  const k = Math.cos(((s + n) / 2) * Math.PI / 180);
  const scale = width / ((e - w) * k);
  return { height: (n - s) * scale, x: (lon) => (lon - w) * k * scale, y: (lat) => (n - lat) * scale };
}

function pathOf(lines, p, close) {
  return lines.map((line) => "M" + line.map(([lon, lat]) => `${p.x(lon).toFixed(1)},${p.y(lat).toFixed(1)}`)
    .join("L") + (close ? "Z" : "")).join("");
}

function drawBasemap(svg, map, p) {
  const st = map.style;
  svg.append(el("rect", { x: 0, y: 0, width: MAP_W, height: p.height, fill: st.sea }));
  const layer = {};
  for (const f of map.basemap.features) layer[f.properties.layer] = f.geometry.coordinates;
  const rings = (polys) => polys.flat();
  svg.append(el("path", { d: pathOf(rings(layer.land || []), p, true), fill: st.land,
                          "fill-rule": "evenodd" }));
  svg.append(el("path", { d: pathOf(layer.rivers || [], p, false), fill: "none",
                          stroke: st.rivers, "stroke-width": 1 }));
  svg.append(el("path", { d: pathOf(rings(layer.lakes || []), p, true), fill: st.sea,
                          stroke: st.lakes, "stroke-width": 0.6, "fill-rule": "evenodd" }));
  const ground = el("g", { id: "map-ground" });  // over the lakes, under the coast (the report's order)
  map.grounds = map.ground.map((polygons, i) => {
    const path = el("path", { d: pathOf(polygons, p, true), fill: "none",
                              "fill-opacity": st.held_alpha, "data-place": map.places[i].name });
    ground.append(path);
    return path;
  });
  svg.append(ground);
  svg.append(el("path", { d: pathOf(layer.coast || [], p, false), fill: "none",
                          stroke: st.coast, "stroke-width": 0.9 }));
  svg.append(el("path", { d: pathOf(layer.borders || [], p, false), fill: "none",
                          stroke: st.borders, "stroke-width": 1, "stroke-dasharray": "5 3" }));
}

function overlap(a, b) {
  const w = Math.min(a.x1, b.x1) - Math.max(a.x0, b.x0);
  const h = Math.min(a.y1, b.y1) - Math.max(a.y0, b.y0);
  return w > 0 && h > 0 ? w * h : 0;
}

function circleHit(box, c) {  // area-like cost of a box over a circle
  const dx = Math.max(box.x0 - c.x, 0, c.x - box.x1);
  const dy = Math.max(box.y0 - c.y, 0, c.y - box.y1);
  const inside = c.r - Math.hypot(dx, dy);
  return inside > 0 ? inside * (box.y1 - box.y0) : 0;
}

function placeLabels(labels, circles, height) {
  // largest garrisons first; eight directions at three distances, nearest first; the first
  // box that meets no label, no marker and no edge, else the one that overlaps least
  const dirs = [[1, 0], [-1, 0], [1, -1], [-1, -1], [1, 1], [-1, 1], [0, -1], [0, 1]];
  const placed = [];
  const order = labels.map((_, i) => i).sort((a, b) => circles[b].r - circles[a].r);
  for (const i of order) {
    const t = labels[i];
    const bb = t.getBBox();
    const [w, h] = [bb.width + 2, bb.height];
    const c = circles[i];
    let best = null;
    for (const extra of [0, 6, 14]) {
      for (const [dx, dy] of dirs) {
        const gap = c.r + 2 + extra;
        const norm = Math.hypot(dx, dy);
        const ax = c.x + gap * dx / norm, ay = c.y + gap * dy / norm;
        const x0 = dx > 0 ? ax : dx < 0 ? ax - w : ax - w / 2;
        const y0 = dy > 0 ? ay : dy < 0 ? ay - h : ay - h / 2;
        const box = { x0, y0, x1: x0 + w, y1: y0 + h };
        let cost = 4 * (Math.max(-x0, 0) + Math.max(box.x1 - MAP_W, 0)) * h
          + 4 * (Math.max(-y0, 0) + Math.max(box.y1 - height, 0)) * w;
        for (const other of placed) cost += 2 * overlap(box, other);
        circles.forEach((o) => { cost += circleHit(box, o); });
        if (best === null || cost < best.cost) best = { cost, box };
      }
      if (best.cost === 0) break;
    }
    placed.push(best.box);
    t.setAttribute("x", best.box.x0 + 1);
    t.setAttribute("y", best.box.y0 + Number(t.getAttribute("y")) - bb.y);  // the box's top
  }
}

function drawLegend(svg, map, top) {
  const st = map.style;
  const g = el("g", { id: "map-legend" });
  const items = [
    ["dot", st.government, "held by the government"], ["dot", st.attacker, "taken by the attackers"],
    ["area", st.attacker, "ground the attackers hold"],
    ["tri", st.attacker, "attacking force"], ["line", st.attacker, "its route so far"],
    ["line", st.road, "road"], ["dash", st.borders, "border"], ["line", st.rivers, "river"],
  ];
  items.forEach(([kind, colour, text], i) => {
    const x = 10 + (i % 3) * 170, y = top + 14 + Math.floor(i / 3) * LEGEND_ROW;
    if (kind === "dot") g.append(el("circle", { cx: x + 6, cy: y - 4, r: 5, fill: colour, stroke: "white" }));
    else if (kind === "area") g.append(el("rect", { x, y: y - 10, width: 12, height: 11, fill: colour,
                                                   "fill-opacity": st.held_alpha }));
    else if (kind === "tri") g.append(el("path", { d: `M${x + 6},${y - 10} L${x + 12},${y + 1} L${x},${y + 1} Z`,
                                                  fill: colour, stroke: "black" }));
    else g.append(el("line", { x1: x, x2: x + 12, y1: y - 4, y2: y - 4, stroke: colour, "stroke-width": 2,
                              "stroke-dasharray": kind === "dash" ? "4 2" : "none" }));
    g.append(el("text", { x: x + 18, y, "font-size": 11 }, text));
  });
  let bottom = top + 14 + Math.ceil(items.length / 3) * LEGEND_ROW;
  // the marker-size key, as the report's: half the largest garrison at one significant
  // digit, and a tenth of it, drawn at the size the map draws them
  const most = Math.max(...map.on_duty[0]);
  if (most >= 1) {
    const big = most >= 2 ? Number((most / 2).toExponential(0)) : 1;
    const r0 = map.radius(big);
    const cy = bottom - 6 + r0;
    (big >= 10 ? [big, big / 10] : [big]).forEach((n, i) => {
      const x = 10 + i * 170;
      g.append(el("circle", { class: "size-key", cx: x + r0, cy, r: map.radius(n), fill: "none",
                              stroke: "#4a5568" }));
      g.append(el("text", { x: x + 2 * r0 + 6, y: cy + 4, "font-size": 11 },
                  `${n.toLocaleString("en")} soldiers on duty`));
    });
    bottom = cy + r0 + 6;
  }
  svg.append(g);
  return bottom;
}

function drawMap(map) {
  const svg = $("#map");
  svg.replaceChildren();
  const p = project(map.bounds, MAP_W);
  drawBasemap(svg, map, p);
  const xs = map.places.map((pl) => p.x(pl.lon));
  const ys = map.places.map((pl) => p.y(pl.lat));
  for (const [a, b] of map.roads) {
    svg.append(el("line", { x1: xs[a], y1: ys[a], x2: xs[b], y2: ys[b], stroke: map.style.road,
                            "stroke-width": 1.3 }));
  }
  const biggest = Math.max(1, ...map.on_duty[0]);
  map.radius = (n) => 2.5 + 18 * Math.sqrt(Math.max(n, 0) / biggest);
  map.routes = map.forces.map(() => {
    const line = el("polyline", { fill: "none", stroke: map.style.attacker, "stroke-width": 2,
                                  "stroke-opacity": 0.75, "stroke-linejoin": "round" });
    svg.append(line);
    return line;
  });
  const dots = el("g", { id: "map-markers" });
  map.dots = map.places.map((pl, i) => {
    const dot = el("circle", { cx: xs[i], cy: ys[i], r: 4, stroke: "white", "stroke-width": 0.9,
                               "data-place": pl.name });
    dot.append(el("title", {}, pl.name));
    dots.append(dot);
    return dot;
  });
  svg.append(dots);
  map.arrows = map.forces.map((f) => {
    const tri = el("path", { d: "M0,-8 L7,5 L-7,5 Z", fill: map.style.attacker, stroke: "black" });
    tri.append(el("title", {}, f.name));
    svg.append(tri);
    return tri;
  });
  const names = el("g", { id: "map-labels" });
  const labels = map.places.map((pl, i) => {
    const t = el("text", { x: xs[i], y: ys[i], "font-size": 11, "paint-order": "stroke",
                           stroke: "white", "stroke-width": 3, "stroke-linejoin": "round",
                           fill: "#1a202c", "data-place": pl.name,
                           "data-observed": String(pl.observed), "dominant-baseline": "text-before-edge" },
                 pl.name);
    names.append(t);
    return t;
  });
  svg.append(names);
  const largest = map.places.map((_, j) => map.radius(Math.max(...map.on_duty.map((row) => row[j]))));
  placeLabels(labels, map.places.map((_, i) => ({ x: xs[i], y: ys[i], r: largest[i] })), p.height);
  const height = drawLegend(svg, map, p.height);
  svg.setAttribute("viewBox", `0 0 ${MAP_W} ${height}`);
  map.px = p.x;
  map.py = p.y;
}

function showFrame(i) {
  const map = result.map;
  const frames = result.day.length;
  i = Math.max(0, Math.min(frames - 1, i));
  $("#frame").value = i;
  map.grounds.forEach((path, j) => {
    path.setAttribute("fill", map.government[i][j] ? "none" : map.style.attacker);
  });
  map.dots.forEach((dot, j) => {
    dot.setAttribute("fill", map.government[i][j] ? map.style.government : map.style.attacker);
    dot.setAttribute("r", map.radius(map.on_duty[i][j]));
  });
  map.arrows.forEach((tri, j) => {
    const f = map.forces[j];
    tri.setAttribute("transform", `translate(${map.px(f.lon[i])},${map.py(f.lat[i])})`);
    const track = [];
    for (let k = 0; k <= i; k++) track.push(`${map.px(f.lon[k]).toFixed(1)},${map.py(f.lat[k]).toFixed(1)}`);
    map.routes[j].setAttribute("points", track.join(" "));
  });
  const day = result.day[i];
  const held = map.government[i].reduce((a, b) => a + b, 0);
  const onDuty = map.on_duty[i].reduce((a, b) => a + b, 0);
  $("#frame-day").textContent = `${dateLabel(day, true)}: ${held}/${map.places.length} held, `
    + `${onDuty.toLocaleString("en")} on duty`;
  for (const cursor of document.querySelectorAll(".cursor")) {
    const s = JSON.parse(cursor.dataset.scale);
    const cx = s.L + (day / s.xmax) * s.span;
    cursor.setAttribute("x1", cx);
    cursor.setAttribute("x2", cx);
  }
}

function stop() {
  if (timer !== null) clearInterval(timer);
  timer = null;
  $("#play").textContent = "Play";
}

function togglePlay() {
  if (timer !== null) { stop(); return; }
  let i = Number($("#frame").value);
  if (i >= result.day.length - 1) i = 0;
  $("#play").textContent = "Pause";
  timer = setInterval(() => {
    showFrame(i);
    i += 1;
    if (i >= result.day.length) stop();
  }, 60);
}

// ------------------------------------------------------------------ timeline
function timeline(rows) {
  const body = $("#timeline tbody");
  body.replaceChildren();
  if (!rows.length) {
    body.innerHTML = '<tr><td colspan="5" class="help">this scenario records no outcomes</td></tr>';
  }
  for (const row of rows) {
    const tr = document.createElement("tr");
    // one rule everywhere: a place that fell in fewer than half the runs held
    const hi = row.hi === null ? "held" : row.hi.toFixed(1);
    const spread = result.runs > 1 && !row.held ? ` [${row.lo.toFixed(1)} to ${hi}]` : "";
    const error = row.held ? null : row.median - row.observed;
    const cells = [
      [row.place, ""], [dateLabel(row.observed), ""],
      [row.held ? `held (fell in ${row.fell_runs} of ${row.runs} runs)`
        : dateLabel(row.median) + spread, ""],
      [error === null ? "-" : `${error > 0 ? "+" : ""}${error.toFixed(1)} d`,
       error === null ? "n" : `n ${error < 0 ? "early" : "late"}`],
      [`${row.fell_runs} of ${row.runs}`, "n"],
    ];
    for (const [text, cls] of cells) {
      const td = document.createElement("td");
      td.textContent = text;
      td.className = cls;
      tr.append(td);
    }
    tr.title = row.note;
    body.append(tr);
  }
  const falls = $("#falls");
  falls.replaceChildren();
  for (const f of result.map.falls) {
    const li = document.createElement("li");
    li.textContent = `${dateLabel(f.day)}: ${f.place} ${f.detail} (run 0 of root seed `
      + `${result.map.seed})`;
    falls.append(li);
  }
}

function render(data) {
  stop();
  result = data;
  const c = data.curves;
  const stateColours = Object.fromEntries(data.states.map((st) => [st.name, st.colour]));
  const stateLabels = Object.fromEntries(data.states.map((st) => [st.name, st.label]));
  chart($("#chart-strength"), data.day, lines(c.strength, stateColours, stateLabels));
  chart($("#chart-rank"), data.day, lines(c.rank, {}), { percent: true, ymax: 1 });
  chart($("#chart-group"), data.day, lines(c.group, {}), { percent: true, ymax: 1 });
  chart($("#chart-morale"), data.day, lines(c.morale, {
    mean_effort: "#117733", mean_credibility: "#332288", power_share: "#999933",
  }, { mean_effort: "effort", mean_credibility: "credibility", power_share: "power" }),
  { ymax: 1 });
  drawMap(data.map);
  $("#frame").max = data.day.length - 1;
  $("#frame").disabled = false;
  $("#play").disabled = false;
  $("#map-label").textContent = `(run 0 of root seed ${data.map.seed})`;
  timeline(data.timeline);
  const seeds = data.runs > 1
    ? `${data.runs} runs of root seed ${data.seed} (median and 5-95% bands)` : "1 run";
  $("#status").textContent = `${data.scenario}: ${seeds}, ${data.soldiers.toLocaleString("en")} `
    + `soldiers, ${data.days} days, answered in ${data.elapsed.toFixed(1)} s.`;
  const used = Object.entries(data.overrides).map(([k, v]) => `${k}=${v}`).join(", ");
  $("#used").textContent = `Parameters used: ${used || "the scenario as written"}.`;
  showFrame(0);
  togglePlay();
}

init().catch((err) => showError(`Could not load the scenarios: ${err}`));
