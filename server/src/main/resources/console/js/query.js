// Query: a metric name and tag filters (suggested from what the topic holds), a time range, a chart of the
// matching series across both tiers and the raw records. The URL holds the whole query, so it can be shared:
// #/query?topic=cpu&name=cpu.usage&tag=host:web-1&from=1700000000000&to=1700003600000 (or last=1h).
import { api, enc, qs } from './api.js';
import { h, clear, fmtNum, fmtTime, errorLine } from './ui.js';
import { recordSummary } from './records.js';
import uPlot from '/vendor/uplot/uPlot.esm.js';

const PRESETS = { '15m': 15 * 60e3, '1h': 3600e3, '6h': 6 * 3600e3, '24h': 86400e3, '7d': 7 * 86400e3, '30d': 30 * 86400e3 };
const MAX_RECORDS = 10000;
const TABLE_ROWS = 1000;
const COLORS = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2', '#ca8a04', '#db2777', '#4b5563', '#65a30d'];

/** The time window of the URL: last=<preset> (relative to now) or from/to in epoch ms. */
function windowOf(params) {
  const last = params.get('last');
  if (params.get('from') && params.get('to')) return { from: Number(params.get('from')), to: Number(params.get('to')) };
  const span = PRESETS[last || '1h'] || PRESETS['1h'];
  const to = Date.now();
  return { from: to - span, to };
}

const localInput = (ms) => {
  const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60000);
  return d.toISOString().slice(0, 19);
};

export function mount(view, params) {
  let chart = null;
  const win = windowOf(params);
  const topicSel = h('select', { id: 'q-topic', name: 'topic', 'aria-label': 'topic', required: true });
  const name = h('input', { id: 'q-name', name: 'name', list: 'q-names', placeholder: 'any metric', autocomplete: 'off', value: params.get('name') || '' });
  const names = h('datalist', { id: 'q-names' });
  const tagKeys = h('datalist', { id: 'q-tag-keys' });
  const tagValues = h('div');
  const tagsBox = h('div', { class: 'tags', id: 'q-tags' });
  const preset = h('select', { id: 'q-last', 'aria-label': 'time range' },
    Object.keys(PRESETS).map((k) => h('option', { value: k }, 'last ' + k)), h('option', { value: 'custom' }, 'custom'));
  preset.value = params.get('from') && params.get('to') ? 'custom' : (PRESETS[params.get('last')] ? params.get('last') : '1h');
  const from = h('input', { id: 'q-from', type: 'datetime-local', step: 1, value: localInput(win.from), 'aria-label': 'from' });
  const to = h('input', { id: 'q-to', type: 'datetime-local', step: 1, value: localInput(win.to), 'aria-label': 'to' });
  const custom = h('span', { class: 'custom-range', hidden: preset.value !== 'custom' }, from, ' – ', to);
  const hintLine = h('p', { class: 'muted', id: 'q-hint' });
  const chartBox = h('div', { id: 'chart', class: 'chart' });
  const result = h('div', { id: 'q-result' });
  let suggestions = { tags: {} };

  preset.addEventListener('change', () => { custom.hidden = preset.value !== 'custom'; });

  function tagRow(key = '', value = '') {
    const k = h('input', { class: 'tag-key', list: 'q-tag-keys', placeholder: 'tag', value: key, 'aria-label': 'tag key', autocomplete: 'off' });
    const listId = 'q-tv-' + Math.random().toString(36).slice(2);
    const values = h('datalist', { id: listId });
    const v = h('input', { class: 'tag-value', list: listId, placeholder: 'value', value, 'aria-label': 'tag value', autocomplete: 'off' });
    const fill = () => clear(values, (suggestions.tags[k.value] || []).map((x) => h('option', { value: x })));
    k.addEventListener('input', fill);
    fill();
    const row = h('span', { class: 'tag-row' }, k, '=', v, values,
      h('button', { type: 'button', class: 'icon', title: 'remove', onclick: () => row.remove() }, '×'));
    row.refresh = fill;
    return row;
  }
  for (const t of params.getAll('tag')) {
    const i = t.indexOf(':');
    tagsBox.append(tagRow(t.slice(0, i), t.slice(i + 1)));
  }

  function currentWindow() {
    if (preset.value === 'custom') return { from: new Date(from.value).getTime(), to: new Date(to.value).getTime() };
    const t = Date.now();
    return { from: t - PRESETS[preset.value], to: t };
  }

  async function suggest() {
    if (!topicSel.value) return;
    const w = currentWindow();
    try {
      const all = await api(`/v1/topics/${enc(topicSel.value)}/series` + qs({ from: w.from, to: w.to }));
      clear(names, all.names.map((n) => h('option', { value: n.name }, `${n.series} series`)));
      const forName = name.value ? await api(`/v1/topics/${enc(topicSel.value)}/series` + qs({ from: w.from, to: w.to, name: name.value })) : all;
      suggestions = forName;
      clear(tagKeys, Object.keys(forName.tags).map((k) => h('option', { value: k })));
      tagsBox.querySelectorAll('.tag-row').forEach((r) => r.refresh());
      hintLine.textContent = `${all.names.length} metric name(s) in range` + (all.complete ? '' : ` (from the first ${fmtNum(all.scanned)} records)`);
    } catch (e) {
      hintLine.textContent = 'No suggestions: ' + e.message;
    }
  }
  name.addEventListener('change', suggest);
  topicSel.addEventListener('change', suggest);
  preset.addEventListener('change', suggest);

  const form = h('form', { class: 'query-form', onsubmit: (ev) => {
    ev.preventDefault();
    const p = { topic: topicSel.value, name: name.value };
    const tags = [...tagsBox.querySelectorAll('.tag-row')].map((r) => [r.querySelector('.tag-key').value, r.querySelector('.tag-value').value])
      .filter(([k]) => k).map(([k, v]) => k + ':' + v);
    if (preset.value === 'custom') Object.assign(p, currentWindow()); else p.last = preset.value;
    const hash = '#/query' + qs({ ...p, tag: tags });
    if (location.hash === hash) run(); else location.hash = hash;
  } },
  h('label', {}, 'Topic ', topicSel), h('label', {}, 'Metric ', name), names, tagKeys, tagValues,
  h('span', { class: 'tag-edit' }, tagsBox, h('button', { type: 'button', class: 'secondary', id: 'q-add-tag', onclick: () => tagsBox.append(tagRow()) }, '+ tag')),
  h('label', {}, 'Range ', preset), custom,
  h('button', { type: 'submit', class: 'primary', id: 'q-run' }, 'Run'));

  view.append(h('h1', {}, 'Query'), form, hintLine, chartBox, result);

  async function run() {
    const topic = params.get('topic');
    if (!topic) return;
    const w = windowOf(params);
    clear(result, h('p', { class: 'muted' }, 'Querying…'));
    let r;
    try {
      r = await api(`/v1/topics/${enc(topic)}/records` + qs({ from: w.from, to: w.to, name: params.get('name'), tag: params.getAll('tag'), maxRecords: MAX_RECORDS }));
    } catch (e) {
      clear(result, errorLine(e));
      return;
    }
    draw(r.records, w);
    const shown = r.records.slice(0, TABLE_ROWS);
    clear(result,
      h('p', { class: 'muted', id: 'q-count', dataset: { count: r.count } }, `${fmtNum(r.count)} record(s) from ${fmtTime(w.from)} to ${fmtTime(w.to)}`,
        r.truncated ? ` · more than ${fmtNum(r.count)} match: narrow the range or the filters` : '',
        shown.length < r.records.length ? ` · the table shows the first ${fmtNum(shown.length)}` : ''),
      h('div', { class: 'scroll' }, h('table', { class: 'records', id: 'q-rows' },
        h('thead', {}, h('tr', {}, h('th', {}, 'Time'), h('th', { class: 'num' }, 'Partition'), h('th', { class: 'num' }, 'Offset'), h('th', {}, 'Record'))),
        h('tbody', {}, shown.map((x) => h('tr', {}, h('td', { class: 'mono' }, fmtTime(x.timestamp)), h('td', { class: 'num' }, x.partition),
          h('td', { class: 'num' }, x.offset), h('td', { class: 'mono' }, recordSummary(x))))))));
  }

  /** One line per series (name and tags), on the union of their timestamps; gaps are bridged. */
  function draw(records, w) {
    if (chart) { chart.destroy(); chart = null; }
    const bySeries = new Map();
    for (const x of records) {
      if (x.name === undefined) continue;
      const key = x.name + '{' + Object.entries(x.tags || {}).map(([k, v]) => `${k}=${v}`).join(',') + '}';
      if (!bySeries.has(key)) bySeries.set(key, new Map());
      bySeries.get(key).set(x.timestamp, x.value);
    }
    const xs = [...new Set(records.map((x) => x.timestamp))].sort((a, b) => a - b);
    const keys = [...bySeries.keys()].sort();
    const data = [xs.map((t) => t / 1000), ...keys.map((k) => xs.map((t) => (bySeries.get(k).has(t) ? bySeries.get(k).get(t) : null)))];
    const points = keys.reduce((n, k) => n + bySeries.get(k).size, 0);
    chartBox.dataset.series = keys.length;
    chartBox.dataset.points = points;
    if (!keys.length) {
      clear(chartBox, h('p', { class: 'muted' }, 'No metric samples in this range.'));
      chartBox.dataset.drawn = 'true';
      return;
    }
    clear(chartBox);
    const opts = {
      width: Math.max(280, chartBox.clientWidth),
      height: 320,
      scales: { x: { time: true, min: w.from / 1000, max: w.to / 1000 } },
      series: [{ label: 'time', value: (u, v) => (v === null ? '–' : fmtTime(v * 1000)) },
        ...keys.map((k, i) => ({ label: k, stroke: COLORS[i % COLORS.length], width: 1.5, spanGaps: true,
          points: { show: points / Math.max(keys.length, 1) < 200, size: 4 } }))],
      legend: { live: true },
      hooks: { draw: [() => { chartBox.dataset.drawn = 'true'; }] },
    };
    chart = new uPlot(opts, data, chartBox);
  }

  const onResize = () => { if (chart) chart.setSize({ width: Math.max(280, chartBox.clientWidth), height: 320 }); };
  window.addEventListener('resize', onResize);

  (async () => {
    try {
      const t = await api('/v1/topics');
      const metrics = t.topics.filter((x) => x.config.schema === 'metrics').map((x) => x.name);
      clear(topicSel, metrics.map((n) => h('option', { value: n }, n)));
      if (params.get('topic')) topicSel.value = params.get('topic');
      if (!metrics.length) hintLine.textContent = 'No metrics topic yet.';
    } catch (e) {
      hintLine.textContent = e.message;
    }
    suggest();
    run();
  })();

  return () => { window.removeEventListener('resize', onResize); if (chart) chart.destroy(); };
}
