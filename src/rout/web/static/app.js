// rout dashboard: controls -> POST /api/run -> SVG charts, animated map, timeline.
"use strict";

const $ = (sel) => document.querySelector(sel);
const SVGNS = "http://www.w3.org/2000/svg";
// state colours and labels come with every result, from the model's registry of states
const PALETTE = ["#CC6677", "#DDCC77", "#332288", "#117733", "#88CCEE", "#882255",
                 "#44AA99", "#999933", "#AA4499"];
const GOVERNMENT = "#2b6cb0";
const ATTACKER = "#dd6b20";

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
  showError("");
  $("#run").disabled = true;
  $("#status").textContent = `Running ${body.runs} seed(s) of ${body.scenario}...`;
  try {
    const answer = await fetch("/api/run", {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
    const data = await answer.json();
    if (!answer.ok) {
      showError(`Refused (${answer.status}): ${data.message || answer.statusText}`);
      $("#status").textContent = "Nothing was run.";
      return;
    }
    render(data);
  } catch (err) {
    showError(`The server did not answer: ${err}`);
    $("#status").textContent = "Nothing was run.";
  } finally {
    $("#run").disabled = false;
  }
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

// ------------------------------------------------------------------ map
function drawMap(map) {
  const svg = $("#map");
  svg.replaceChildren();
  const W = 520, H = 460, pad = 30;
  const lats = map.places.map((p) => p.lat);
  const lons = map.places.map((p) => p.lon);
  const k = Math.cos((lats.reduce((a, b) => a + b, 0) / lats.length) * Math.PI / 180);
  const [lo0, lo1] = [Math.min(...lons), Math.max(...lons)];
  const [la0, la1] = [Math.min(...lats), Math.max(...lats)];
  const scale = Math.min((W - 2 * pad - 90) / Math.max((lo1 - lo0) * k, 1e-6),
                         (H - 2 * pad) / Math.max(la1 - la0, 1e-6));
  const px = (lon) => pad + (lon - lo0) * k * scale;
  const py = (lat) => H - pad - (lat - la0) * scale;
  for (const [a, b] of map.roads) {
    svg.append(el("line", { x1: px(lons[a]), y1: py(lats[a]), x2: px(lons[b]), y2: py(lats[b]),
                            stroke: "#a0aec0" }));
  }
  const biggest = Math.max(1, ...map.on_duty[0]);
  map.dots = map.places.map((p) => {
    const dot = el("circle", { cx: px(p.lon), cy: py(p.lat), r: 4, stroke: "white" });
    dot.append(el("title", {}, p.name));
    svg.append(dot);
    svg.append(el("text", { x: px(p.lon) + 6, y: py(p.lat) - 5, "font-size": 10 }, p.name));
    return dot;
  });
  map.radius = (n) => 2.5 + 22 * Math.sqrt(n / biggest);
  map.arrows = map.forces.map((f) => {
    const tri = el("path", { d: "M0,-9 L8,6 L-8,6 Z", fill: ATTACKER, stroke: "black" });
    tri.append(el("title", {}, f.name));
    svg.append(tri);
    return tri;
  });
  map.px = px;
  map.py = py;
  const legend = [[GOVERNMENT, "held by the government"], [ATTACKER, "taken by the attackers"]];
  legend.forEach(([colour, text], i) => {
    svg.append(el("circle", { cx: W - 160, cy: 12 + i * 15, r: 5, fill: colour }));
    svg.append(el("text", { x: W - 150, y: 16 + i * 15, "font-size": 11 }, text));
  });
}

function showFrame(i) {
  const map = result.map;
  const frames = result.day.length;
  i = Math.max(0, Math.min(frames - 1, i));
  $("#frame").value = i;
  map.dots.forEach((dot, j) => {
    dot.setAttribute("fill", map.government[i][j] ? GOVERNMENT : ATTACKER);
    dot.setAttribute("r", map.radius(map.on_duty[i][j]));
  });
  map.arrows.forEach((tri, j) => {
    const f = map.forces[j];
    tri.setAttribute("transform", `translate(${map.px(f.lon[i])},${map.py(f.lat[i])})`);
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
      [row.held ? "held" : dateLabel(row.median) + spread, ""],
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
  stateColours.left = "#000000";
  chart($("#chart-strength"), data.day, lines(c.strength, stateColours));
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
