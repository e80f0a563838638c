// netids dashboard: plain JavaScript, no dependencies. Live data comes from /api/events
// (server-sent events); every value from the network is inserted as text, never as HTML.

const $ = (id) => document.getElementById(id);
const KINDS = ['PortScan', 'HostSweep', 'SynFlood', 'UdpFlood', 'Exfiltration', 'DnsTunnel', 'BruteForce', 'Unknown'];
const MAX_ROWS = 500;

// Counts of events received, for whoever inspects the page (and the browser tests).
window.netidsEvents = { snapshot: 0, anomaly: 0, model: 0, stats: 0, end: 0 };

const state = {
  anomalies: new Map(), // id -> anomaly
  fresh: new Set(), // ids to flash on next render
  series: [], // SeriesPoint[] sorted by t
  stats: null,
  model: null,
  finished: false,
};

// ---------- formatting ----------
const nf = new Intl.NumberFormat();
function num(n) { return n == null ? '–' : nf.format(Math.round(n)); }
function compact(n) {
  if (n == null) return '–';
  const a = Math.abs(n);
  if (a >= 1e9) return (n / 1e9).toFixed(a >= 1e10 ? 0 : 1) + ' G';
  if (a >= 1e6) return (n / 1e6).toFixed(a >= 1e7 ? 0 : 1) + ' M';
  if (a >= 1e4) return (n / 1e3).toFixed(a >= 1e5 ? 0 : 1) + ' k';
  return nf.format(Math.round(n));
}
function bytes(n) {
  if (n == null) return '–';
  const u = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (n >= 1000 && i < u.length - 1) { n /= 1000; i++; }
  return (i === 0 ? Math.round(n) : n.toFixed(n >= 100 ? 0 : 1)) + ' ' + u[i];
}
const pad = (x) => String(x).padStart(2, '0');
function clock(ts) {
  if (ts == null) return '–';
  const d = new Date(ts * 1000);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}
function when(ts) {
  if (ts == null) return '–';
  const d = new Date(ts * 1000);
  const today = new Date();
  const sameDay = d.toDateString() === today.toDateString();
  return (sameDay ? '' : `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} `) + clock(ts);
}
function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text != null) e.textContent = text;
  return e;
}

// ---------- header, cards, side panels ----------
function renderModel() {
  const m = state.model;
  if (!m) return;
  const pill = $('model-pill');
  pill.dataset.state = m.state;
  const pct = Math.round((m.progress ?? 0) * 100);
  $('model-bar').style.width = `${pct}%`;
  if (m.state === 'learning') {
    $('model-label').textContent = 'Learning baseline';
    $('model-pct').textContent = `${pct}%`;
  } else if (m.state === 'training') {
    $('model-label').textContent = 'Training model…';
    $('model-pct').textContent = '';
  } else {
    $('model-label').textContent = 'Detecting';
    $('model-pct').textContent = m.version ? m.version.slice(0, 10) : '';
  }
  $('m-state').textContent = m.state === 'trained' ? 'trained, scoring' : m.state;
  $('m-progress').textContent = `${pct}%`;
  $('m-samples').textContent = num(m.samples);
  $('m-trained').textContent = m.trainedAt ? when(m.trainedAt) : '–';
  $('m-version').textContent = m.version || '–';
  $('m-version').title = m.version || '';
  $('m-threshold').textContent = m.state === 'trained' ? m.threshold.toFixed(3) : '–';
  $('s-threshold').textContent = m.state === 'trained' ? m.threshold.toFixed(3) : '–';
  const why = $('a-empty-why');
  why.textContent = m.state === 'trained'
    ? 'The model is scoring traffic; anything unusual shows up here.'
    : `The model is learning what normal traffic looks like (${pct}%); detection starts when it is done.`;
}

function renderStats() {
  const s = state.stats;
  if (!s) return;
  $('source').textContent = `${s.mode === 'file' ? 'file' : 'live'}: ${s.source} · node ${s.node}`;
  $('s-pps').textContent = compact(s.packetsPerS);
  $('s-fps').textContent = compact(s.flowsPerS);
  $('s-packets').textContent = `${num(s.health.packets)} packets total`;
  $('s-flows').textContent = `${num(s.health.flowsEmitted)} flows total`;
  renderAnomalyTotal();
  $('s-anomalous').textContent = `${num(s.anomalousFlows)} anomalous flows`;
  $('s-scored').textContent = `${num(s.flowsScored)} flows scored`;
  const h = s.health;
  $('h-node').textContent = s.node;
  $('h-packets').textContent = num(h.packets);
  $('h-bytes').textContent = bytes(h.bytes);
  $('h-drops').textContent = num(h.drops);
  $('h-drops').classList.toggle('bad', h.drops > 0);
  $('h-skipped').textContent = num(h.skipped);
  $('h-active').textContent = num(h.flowsActive);
  $('h-flows').textContent = num(h.flowsEmitted);
  const fileRow = h.fileProgress != null;
  $('h-file-k').hidden = !fileRow;
  $('h-file').hidden = !fileRow;
  if (fileRow) $('h-file').textContent = s.finished ? 'done' : `${Math.round(h.fileProgress * 100)}%`;
  $('h-time').textContent = when(s.captureTime);

  const tb = $('talkers').tBodies[0];
  tb.replaceChildren(...s.topTalkers.map((t) => {
    const tr = el('tr');
    const host = el('td', null, t.host);
    host.title = t.host;
    tr.append(host, el('td', 'num', bytes(t.bytes)), el('td', 'num', compact(t.flows)), el('td', t.anomalies ? 'num flagged' : 'num', t.anomalies ? num(t.anomalies) : ''));
    return tr;
  }));
  if (s.topTalkers.length === 0) {
    const tr = el('tr');
    const td = el('td', null, 'No flows yet');
    td.colSpan = 4;
    tr.append(td);
    tb.append(tr);
  }
}

// The server's count of anomalies raised, or the rows known here if those arrived first.
function renderAnomalyTotal() {
  const n = Math.max(state.stats?.anomalies ?? 0, state.anomalies.size);
  $('s-anomalies').textContent = num(n);
  $('s-anomalies').parentElement.classList.toggle('hot', n > 0);
}

function setConn(kind, text) {
  $('conn').dataset.state = kind;
  $('conn-text').textContent = text;
}

// ---------- anomalies table ----------
function addr(ip, port, pod) {
  const td = el('td', 'addr');
  if (pod) td.append(el('span', null, pod));
  const ipText = ip === '*' ? 'many hosts' : port ? (ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`) : ip;
  td.append(el(pod ? 'span' : 'span', pod ? 'ip pod' : 'ip', ipText));
  return td;
}

function matchesFilter(a, kind, text) {
  if (kind && a.kind !== kind) return false;
  if (!text) return true;
  const hay = `${a.src} ${a.dst} ${a.srcPod ?? ''} ${a.dstPod ?? ''} ${a.kind}`.toLowerCase();
  return hay.includes(text);
}

function duration(s) {
  if (s < 1) return '<1 s';
  if (s < 120) return `${Math.round(s)} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}

function seen(a) {
  const td = el('td', 'when');
  td.append(el('span', 'last', clock(a.lastSeen)), el('span', 'first', `since ${clock(a.firstSeen)} · ${duration(a.lastSeen - a.firstSeen)}`));
  td.title = `first seen ${when(a.firstSeen)}\nlast seen ${when(a.lastSeen)}`;
  return td;
}

let renderQueued = false;
function queueRender() {
  if (renderQueued) return;
  renderQueued = true;
  requestAnimationFrame(() => { renderQueued = false; renderAnomalies(); });
}

function renderAnomalies() {
  const kind = $('f-kind').value;
  const text = $('f-text').value.trim().toLowerCase();
  const list = [...state.anomalies.values()]
    .filter((a) => matchesFilter(a, kind, text))
    .sort((a, b) => b.lastSeen - a.lastSeen || b.score - a.score)
    .slice(0, MAX_ROWS);
  const rows = list.map((a) => {
    const tr = el('tr');
    tr.dataset.id = a.id;
    tr.dataset.kind = a.kind;
    if (state.fresh.has(a.id)) tr.className = 'new';
    const k = el('td');
    const badge = el('span', 'kind', a.kind);
    badge.dataset.kind = a.kind;
    k.append(badge, el('span', 'proto', a.protocol));
    const sc = el('td', 'num');
    const wrap = el('span', 'score');
    const meter = el('span', 'meter');
    const fill = el('i');
    fill.style.width = `${Math.round(Math.min(1, Math.max(0, a.score)) * 100)}%`;
    meter.append(fill);
    wrap.append(meter, el('span', null, a.score.toFixed(2)));
    sc.append(wrap);
    if (a.models?.length) sc.append(el('span', 'models', a.models.join(' + ')));
    const why = el('td');
    const ul = el('ul', 'reasons');
    for (const r of (a.reasons ?? []).slice(0, 2)) ul.append(el('li', null, r.text));
    why.append(ul);
    tr.append(k, addr(a.src, 0, a.srcPod), addr(a.dst, a.dstPort, a.dstPod), sc, why, el('td', 'num', num(a.count)), seen(a));
    return tr;
  });
  $('anomalies').tBodies[0].replaceChildren(...rows);
  renderAnomalyTotal();
  state.fresh.clear();
  const total = state.anomalies.size;
  $('a-count').textContent = total ? `(${num(list.length)}${list.length !== total ? ` of ${num(total)}` : ''})` : '';
  $('a-empty').hidden = list.length > 0;
  if (list.length === 0 && total > 0) $('a-empty-why').textContent = 'None match the filter.';
  else if (list.length === 0) renderModel();
  const params = new URLSearchParams();
  if (kind) params.set('kind', kind);
  $('csv').href = '/api/anomalies.csv' + (params.size ? `?${params}` : '');
}

// ---------- chart ----------
const canvas = $('chart');
let chartQueued = false;
function queueChart() {
  if (chartQueued) return;
  chartQueued = true;
  requestAnimationFrame(() => { chartQueued = false; drawChart(); });
}

function niceMax(v) {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

function drawChart() {
  const css = getComputedStyle(document.documentElement);
  const color = (n) => css.getPropertyValue(n).trim();
  const dpr = window.devicePixelRatio || 1;
  const W = canvas.clientWidth;
  const H = canvas.clientHeight;
  if (canvas.width !== Math.round(W * dpr) || canvas.height !== Math.round(H * dpr)) {
    canvas.width = Math.round(W * dpr);
    canvas.height = Math.round(H * dpr);
  }
  const g = canvas.getContext('2d');
  g.setTransform(dpr, 0, 0, dpr, 0, 0);
  g.clearRect(0, 0, W, H);
  g.font = '11px system-ui, sans-serif';
  const L = 52, R = 48, T = 8, B = 22, GAP = 16;
  const plotW = W - L - R;
  const trafficH = Math.round((H - T - B - GAP) * 0.62);
  const scoreTop = T + trafficH + GAP;
  const scoreH = H - B - scoreTop;
  const pts = state.series;
  canvas.dataset.points = String(pts.length);
  const muted = color('--muted');
  const grid = color('--grid');

  if (pts.length < 2) {
    g.fillStyle = muted;
    g.textAlign = 'center';
    g.fillText('Waiting for traffic…', L + plotW / 2, T + trafficH / 2);
    return;
  }
  const t0 = pts[0].t, t1 = pts[pts.length - 1].t;
  const span = Math.max(1, t1 - t0);
  const x = (t) => L + ((t - t0) / span) * plotW;
  const maxP = niceMax(Math.max(...pts.map((p) => p.packets)));
  const maxF = niceMax(Math.max(...pts.map((p) => p.flows)));
  const yP = (v) => T + trafficH - (v / maxP) * trafficH;
  const yF = (v) => T + trafficH - (v / maxF) * trafficH;
  const yS = (v) => scoreTop + scoreH - Math.min(1, Math.max(0, v)) * scoreH;

  // grid and axes labels
  g.strokeStyle = grid;
  g.lineWidth = 1;
  g.fillStyle = muted;
  for (let i = 0; i <= 4; i++) {
    const yy = Math.round(T + (trafficH * i) / 4) + 0.5;
    g.beginPath(); g.moveTo(L, yy); g.lineTo(L + plotW, yy); g.stroke();
    g.textAlign = 'right';
    g.fillStyle = color('--pps');
    g.fillText(compact(maxP * (1 - i / 4)), L - 6, yy + 4);
    g.textAlign = 'left';
    g.fillStyle = color('--fps');
    g.fillText(compact(maxF * (1 - i / 4)), L + plotW + 6, yy + 4);
  }
  g.fillStyle = muted;
  for (const v of [0, 0.5, 1]) {
    const yy = Math.round(yS(v)) + 0.5;
    g.strokeStyle = grid;
    g.beginPath(); g.moveTo(L, yy); g.lineTo(L + plotW, yy); g.stroke();
    g.textAlign = 'right';
    g.fillText(v.toFixed(1), L - 6, yy + 4);
  }
  g.save();
  g.translate(12, scoreTop + scoreH / 2);
  g.rotate(-Math.PI / 2);
  g.textAlign = 'center';
  g.fillText('score', 0, 0);
  g.restore();
  // time labels
  g.textAlign = 'center';
  const ticks = Math.max(2, Math.min(8, Math.floor(plotW / 110)));
  for (let i = 0; i <= ticks; i++) {
    const t = t0 + (span * i) / ticks;
    g.fillText(clock(Math.round(t)), Math.min(Math.max(x(t), L + 22), L + plotW - 22), H - 6);
  }

  // packets/s: filled area
  const pps = color('--pps');
  g.beginPath();
  g.moveTo(x(pts[0].t), yP(0));
  for (const p of pts) g.lineTo(x(p.t), yP(p.packets));
  g.lineTo(x(t1), yP(0));
  g.closePath();
  g.fillStyle = pps + '2a';
  g.fill();
  g.beginPath();
  pts.forEach((p, i) => (i ? g.lineTo(x(p.t), yP(p.packets)) : g.moveTo(x(p.t), yP(p.packets))));
  g.strokeStyle = pps;
  g.lineWidth = 1.5;
  g.stroke();
  // flows/s: line
  g.beginPath();
  pts.forEach((p, i) => (i ? g.lineTo(x(p.t), yF(p.flows)) : g.moveTo(x(p.t), yF(p.flows))));
  g.strokeStyle = color('--fps');
  g.lineWidth = 1.5;
  g.stroke();

  // score pane
  const thr = state.model && state.model.state === 'trained' ? state.model.threshold : null;
  const scoreColor = color('--score');
  g.strokeStyle = scoreColor;
  g.lineWidth = 1.5;
  g.beginPath();
  let open = false;
  for (const p of pts) {
    if (p.maxScore == null) { open = false; continue; }
    if (open) g.lineTo(x(p.t), yS(p.maxScore)); else { g.moveTo(x(p.t), yS(p.maxScore)); open = true; }
  }
  g.stroke();
  const danger = color('--danger');
  for (const p of pts) {
    if (p.maxScore == null || !(p.anomalous > 0)) continue;
    g.fillStyle = danger;
    g.beginPath(); g.arc(x(p.t), yS(p.maxScore), 3, 0, Math.PI * 2); g.fill();
  }
  if (thr != null) {
    const yy = Math.round(yS(thr)) + 0.5;
    g.strokeStyle = color('--thr');
    g.setLineDash([5, 4]);
    g.lineWidth = 1.2;
    g.beginPath(); g.moveTo(L, yy); g.lineTo(L + plotW, yy); g.stroke();
    g.setLineDash([]);
    g.fillStyle = color('--thr');
    g.textAlign = 'left';
    g.fillText(`threshold ${thr.toFixed(3)}`, L + 6, yy - 5);
  } else {
    g.fillStyle = muted;
    g.textAlign = 'center';
    g.fillText(state.model?.state === 'training' ? 'training the model…' : 'no scores while the model learns', L + plotW / 2, scoreTop + scoreH / 2 + 4);
  }
  canvas.dataset.drawn = '1';
}

function mergeSeries(points) {
  if (!points || points.length === 0) return;
  const byT = new Map(state.series.map((p) => [p.t, p]));
  for (const p of points) byT.set(p.t, p);
  state.series = [...byT.values()].sort((a, b) => a.t - b.t).slice(-900);
}

// ---------- events ----------
function connect() {
  const es = new EventSource('/api/events');
  es.addEventListener('open', () => setConn(state.finished ? 'ended' : 'live', state.finished ? 'input ended' : 'live'));
  es.addEventListener('error', () => setConn('lost', 'reconnecting…'));
  es.addEventListener('snapshot', (ev) => {
    window.netidsEvents.snapshot += 1;
    const d = JSON.parse(ev.data);
    state.anomalies.clear();
    for (const a of d.anomalies) state.anomalies.set(a.id, a);
    state.model = d.model;
    state.stats = d.stats;
    state.series = d.stats.series;
    state.finished = d.stats.finished;
    setConn(state.finished ? 'ended' : 'live', state.finished ? 'input ended' : 'live');
    renderModel(); renderStats(); queueRender(); queueChart();
  });
  es.addEventListener('anomaly', (ev) => {
    window.netidsEvents.anomaly += 1;
    const { anomaly, isNew } = JSON.parse(ev.data);
    state.anomalies.set(anomaly.id, anomaly);
    if (isNew) state.fresh.add(anomaly.id);
    queueRender();
  });
  es.addEventListener('model', (ev) => {
    window.netidsEvents.model += 1;
    state.model = JSON.parse(ev.data);
    renderModel(); queueChart();
  });
  es.addEventListener('stats', (ev) => {
    window.netidsEvents.stats += 1;
    const s = JSON.parse(ev.data);
    mergeSeries(s.series);
    state.stats = s;
    renderStats(); queueChart();
  });
  es.addEventListener('end', (ev) => {
    window.netidsEvents.end += 1;
    const s = JSON.parse(ev.data);
    state.series = s.series;
    state.stats = s;
    state.finished = true;
    setConn('ended', 'input ended');
    renderStats(); queueChart();
  });
}

for (const k of KINDS) $('f-kind').append(new Option(k, k));
$('f-kind').addEventListener('change', queueRender);
$('f-text').addEventListener('input', queueRender);
window.addEventListener('resize', queueChart);
window.matchMedia('(prefers-color-scheme: dark)').addEventListener('change', queueChart);
connect();
