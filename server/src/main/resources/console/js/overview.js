// Overview: server health and every topic with what it holds in each tier; refreshes every 5 s. At most PAGE
// rows are drawn at first (more on request; the filter searches every topic), rows are keyed by topic and only
// changed cells are touched, so a thousand topics cost little to load and to refresh.
import { api, qs } from './api.js';
import { h, clear, fmtBytes, fmtNum, fmtDuration, every, errorLine, toast } from './ui.js';
import { createTopicDialog } from './admin.js';

const PAGE = 100;

const COLUMNS = [
  ['partitionCount', 'Partitions', fmtNum],
  ['schema', 'Schema', String, ''],
  ['records', 'Records', fmtNum],
  ['localBytes', 'Local', fmtBytes],
  ['remoteBytes', 'In S3', fmtBytes],
  ['offloadLagBytes', 'Offload lag', fmtBytes],
];

export function mount(view) {
  const health = h('section', { class: 'cards', id: 'health-cards' }, h('p', { class: 'muted' }, 'Checking health…'));
  const filter = h('input', { type: 'search', placeholder: 'Filter topics', 'aria-label': 'filter topics',
    oninput: () => { shownMax = PAGE; renderTopics(); } });
  const count = h('span', { class: 'muted', id: 'topic-count' });
  const tbody = h('tbody');
  const table = h('table', { class: 'topics', id: 'topics' },
    h('thead', {}, h('tr', {}, h('th', {}, 'Topic'), COLUMNS.map(([, label, , cls = 'num']) => h('th', { class: cls }, label)))),
    tbody);
  const status = h('div', { id: 'topics-status' });
  const more = h('div');
  view.append(
    h('h1', {}, 'Overview'), health,
    h('div', { class: 'toolbar' }, h('h2', {}, 'Topics'), count, filter,
      h('button', { class: 'primary', id: 'create-topic', onclick: async () => {
        const name = await createTopicDialog();
        if (name) { toast('Created topic ' + name); location.hash = '#/topic/' + encodeURIComponent(name); }
      } }, 'Create topic')),
    status, h('div', { class: 'scroll' }, table), more);

  let topics = [];
  let shownMax = PAGE;
  const rows = new Map(); // the drawn rows by topic name: at most shownMax of them

  function renderTopics() {
    const f = filter.value.trim().toLowerCase();
    const matching = f ? topics.filter((t) => t.name.toLowerCase().includes(f)) : topics;
    const shown = matching.slice(0, shownMax);
    const seen = new Set();
    let before = null;
    // topics come sorted by name; walk backwards so each row is inserted before its successor
    for (let i = shown.length - 1; i >= 0; i--) {
      const t = shown[i];
      seen.add(t.name);
      let row = rows.get(t.name);
      if (!row) {
        const cells = COLUMNS.map(([k, , , cls = 'num']) => h('td', { class: cls, dataset: { k } }));
        const tr = h('tr', { dataset: { topic: t.name } },
          h('td', {}, h('a', { href: '#/topic/' + encodeURIComponent(t.name) }, t.name)), cells);
        row = { tr, cells, values: {} };
        rows.set(t.name, row);
      }
      COLUMNS.forEach(([k, , fmt], j) => {
        if (row.values[k] !== t[k]) {
          row.values[k] = t[k];
          row.cells[j].textContent = fmt(t[k]);
          row.cells[j].dataset.v = t[k];
        }
      });
      if (row.tr.nextSibling !== before || row.tr.parentNode !== tbody) tbody.insertBefore(row.tr, before);
      before = row.tr;
    }
    for (const [name, row] of rows) {
      if (!seen.has(name)) { row.tr.remove(); rows.delete(name); }
    }
    count.textContent = f ? `${matching.length} of ${topics.length}` : `${topics.length}`;
    const rest = matching.length - shown.length;
    clear(more, rest > 0 ? h('button', { class: 'secondary', id: 'more-topics', onclick: () => { shownMax += PAGE; renderTopics(); } },
      `Show ${fmtNum(Math.min(PAGE, rest))} more (${fmtNum(rest)} not shown; the filter searches them all)`) : null);
    clear(status, topics.length ? null : h('p', { class: 'muted' }, 'No topics yet: create one.'));
  }

  async function loadTopics() {
    const all = [];
    let after = null;
    do {
      const page = await api('/v1/storage' + qs({ after }));
      all.push(...page.topics);
      after = page.next;
    } while (after);
    topics = all;
    renderTopics();
  }

  async function refresh() {
    const [s, t] = await Promise.allSettled([api('/v1/status'), loadTopics()]);
    if (s.status === 'fulfilled') renderHealth(health, s.value); else clear(health, errorLine(s.reason));
    if (t.status === 'rejected') clear(status, errorLine(t.reason));
    view.dataset.loaded = 'true';
  }

  return every(5000, refresh);
}

function card(title, state, lines) {
  return h('div', { class: 'card ' + state, dataset: { card: title.toLowerCase().replace(/\W+/g, '-') } },
    h('h3', {}, title, h('span', { class: 'badge ' + state }, state)),
    h('dl', {}, lines.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])));
}

function renderHealth(el, s) {
  const c = s.cold;
  const s3 = c.reachable === null ? 'checking' : c.reachable ? 'ok' : 'down';
  const hotState = s.hot.freeBytes >= 0 && s.hot.freeBytes < s.hot.minFreeBytes ? 'down' : 'ok';
  const ringState = s.ingest.ringRemainingMin === 0 ? 'busy' : 'ok';
  clear(el,
    card('Hot tier', hotState, [
      ['Local data', fmtBytes(s.hot.localBytes)],
      ['Free disk', fmtBytes(s.hot.freeBytes)],
      ['Partitions', fmtNum(s.hot.partitions)],
      ['Storage faults', fmtNum(s.hot.storageFaults)]]),
    card('Cold tier (S3)', s3, [
      ['Reachable', c.reachable === null ? 'checking…' : c.reachable ? `yes (${c.probeMs} ms)` : 'no: ' + c.error],
      ['Endpoint', h('span', { class: 'mono' }, `${c.endpoint} / ${c.bucket}${c.embedded ? ' (embedded)' : ''}`)],
      ['Offload lag', `${fmtBytes(c.offloadLagBytes)}, ${fmtDuration(c.offloadLagMs)}`],
      ['Uploads', `${fmtNum(c.uploads)} (${fmtNum(c.uploadFailures)} failed)`]]),
    card('Ingest ring', ringState, [
      ['Shards', fmtNum(s.ingest.shards)],
      ['Free slots (min)', `${fmtNum(s.ingest.ringRemainingMin)} of ${fmtNum(s.ingest.ringSize)}`],
      ['Overload rejects', fmtNum(s.ingest.rejectsOverloaded)],
      ['Kafka port', s.kafkaPort < 0 ? 'off' : String(s.kafkaPort)]]));
}
