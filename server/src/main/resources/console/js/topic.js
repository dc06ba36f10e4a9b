// A topic: configuration, the tier map of each partition, a live tail, and reads of any offset range with
// each record marked by the tier that served it.
import { api, enc, qs } from './api.js';
import { h, clear, fmtNum, fmtTime, every, errorLine } from './ui.js';
import { tierMap } from './tiermap.js';
import { tailPanel } from './tail.js';
import { recordSummary } from './records.js';
import { produceDialog, deleteTopicDialog } from './admin.js';

const MAP_PAGE = 16;
const READ_MAX = 1000;

export function mount(view, name, params) {
  let mapsShown = MAP_PAGE;
  let tail = null;
  let topic = null;
  const maps = h('div', { id: 'tiermaps' });
  const mapsMore = h('div');
  const config = h('div', { id: 'config' });
  const head = h('div', { class: 'toolbar' }, h('h1', {}, name));
  view.append(head, h('p', { class: 'muted', id: 'topic-summary' }), config,
    h('section', { class: 'panel' }, h('h2', {}, 'Tier map'),
      h('p', { class: 'muted' }, 'Offsets drawn to scale, oldest left. Top: segments in S3; middle: where each offset lives; bottom: local segments (hatched: active).'),
      maps, mapsMore));

  async function loadMaps() {
    const n = Math.min(topic.partitionCount, mapsShown);
    const all = await Promise.all(Array.from({ length: n }, (_, p) =>
      api(`/v1/topics/${enc(name)}/partitions/${p}/segments`)));
    clear(maps, all.map(tierMap));
    clear(mapsMore, topic.partitionCount > n
      ? h('button', { class: 'secondary', onclick: () => { mapsShown += MAP_PAGE; loadMaps(); } },
        `Show ${Math.min(MAP_PAGE, topic.partitionCount - n)} more of ${topic.partitionCount} partitions`)
      : null);
    maps.dataset.loaded = 'true';
  }

  async function refresh() {
    try {
      topic = await api('/v1/topics/' + enc(name));
    } catch (e) {
      clear(config, errorLine(e));
      return;
    }
    if (!tail) build();
    try { await loadMaps(); } catch (e) { clear(maps, errorLine(e)); }
  }

  function build() {
    head.append(
      h('button', { class: 'primary', id: 'produce', onclick: async () => { if (await produceDialog(topic)) refresh(); } }, 'Produce test record'),
      h('button', { class: 'danger', id: 'delete-topic', onclick: async () => {
        if (await deleteTopicDialog(name)) location.hash = '#/';
      } }, 'Delete topic'),
      topic.config.schema === 'metrics'
        ? h('a', { class: 'button secondary', href: '#/query' + qs({ topic: name, last: '1h' }) }, 'Query') : null);
    document.getElementById('topic-summary').textContent =
      `${topic.partitionCount} partition(s), schema ${topic.config.schema}, cleanup ${topic.config.cleanupPolicy}` +
      (topic.config.remoteStorage ? ', tiered to S3' : ', local only');
    clear(config, h('details', {}, h('summary', {}, 'Configuration'),
      h('dl', { class: 'config' }, Object.entries(topic.config).map(([k, v]) =>
        [h('dt', {}, k), h('dd', { class: 'mono' }, String(v) + hint(k, v))]))));
    tail = tailPanel(topic);
    view.append(tail.el, reader(topic));
    if (params.get('tail') !== 'off') tail.start();
  }

  const stop = every(5000, refresh);
  return () => { stop(); if (tail) tail.close(); };
}

function hint(key, v) {
  if (typeof v !== 'number' || v < 0) return v === -1 ? ' (unlimited)' : '';
  if (key.endsWith('Ms')) return ` (${v >= 3600000 ? v / 3600000 + ' h' : v / 1000 + ' s'})`;
  if (key.endsWith('Bytes')) return ` (${(v / 1048576).toFixed(v >= 1048576 ? 0 : 3)} MiB)`;
  return '';
}

/** Reads [from, to) of a partition, a page at a time, marking each record hot or cold. */
function reader(topic) {
  const partition = h('select', { id: 'read-partition', 'aria-label': 'read partition' },
    Array.from({ length: topic.partitionCount }, (_, p) => h('option', { value: p }, 'partition ' + p)));
  const from = h('input', { id: 'read-from', type: 'number', min: 0, placeholder: 'log start', 'aria-label': 'from offset' });
  const to = h('input', { id: 'read-to', type: 'number', min: 0, placeholder: `+${READ_MAX}`, 'aria-label': 'to offset (exclusive)' });
  const summary = h('p', { id: 'read-summary', class: 'muted' });
  const tbody = h('tbody', { id: 'read-rows' });
  const more = h('button', { class: 'secondary', id: 'read-more', hidden: true }, 'Next page');
  let next = null;

  async function read(start, append) {
    const p = Number(partition.value);
    const state = topic.partitions[p];
    const begin = start !== null ? start : from.value === '' ? state.logStartOffset : Number(from.value);
    const end = to.value === '' ? begin + READ_MAX : Number(to.value);
    try {
      const r = await api(`/v1/topics/${enc(topic.name)}/partitions/${p}/records` + qs({ offset: begin, maxRecords: Math.max(1, Math.min(READ_MAX, end - begin)) }));
      if (!append) clear(tbody);
      // a read serves cold records first, then hot ones: the first tiers.cold records came from S3
      const rows = r.records.filter((x) => x.offset < end);
      rows.forEach((x, i) => {
        const tier = i < r.tiers.cold ? 'cold' : 'hot';
        tbody.append(h('tr', { dataset: { offset: x.offset, tier } }, h('td', { class: 'num' }, x.offset),
          h('td', {}, h('span', { class: 'tier ' + tier, title: tier === 'cold' ? 'read from S3' : 'read from local disk' }, tier)),
          h('td', { class: 'mono' }, fmtTime(x.timestamp)), h('td', { class: 'mono' }, recordSummary(x))));
      });
      const cold = tbody.querySelectorAll('tr[data-tier=cold]').length;
      summary.textContent = `${fmtNum(tbody.childElementCount)} records from offset ${fmtNum(begin)}: ${fmtNum(cold)} cold (S3), ` +
        `${fmtNum(tbody.childElementCount - cold)} hot (local) · high watermark ${fmtNum(r.highWatermark)}`;
      summary.dataset.cold = cold;
      summary.dataset.hot = tbody.childElementCount - cold;
      next = r.nextOffset < Math.min(end, r.highWatermark) ? r.nextOffset : null;
      more.hidden = next === null;
    } catch (e) {
      clear(tbody);
      summary.textContent = e.message;
    }
  }
  more.addEventListener('click', () => read(next, true));
  const form = h('form', { class: 'toolbar', onsubmit: (ev) => { ev.preventDefault(); read(null, false); } },
    h('h2', {}, 'Read records'), partition, h('label', {}, 'from ', from), h('label', {}, 'to ', to),
    h('button', { type: 'submit', class: 'primary', id: 'read-go' }, 'Read'));
  return h('section', { class: 'panel', id: 'reader' }, form, summary,
    h('div', { class: 'scroll' }, h('table', { class: 'records' },
      h('thead', {}, h('tr', {}, h('th', { class: 'num' }, 'Offset'), h('th', {}, 'Tier'), h('th', {}, 'Time'), h('th', {}, 'Record'))), tbody)), more);
}
