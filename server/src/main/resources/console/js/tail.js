// Live tail over the SSE endpoint. Events are queued as they come and drawn at most ten times a second,
// only the newest MAX_ROWS of them (JSON is parsed only for what is drawn), so a tail of 10k records/s keeps
// the page responsive. Paused, the stream stays open and the queue keeps only what would be drawn.
import { enc } from './api.js';
import { h, clear, fmtNum, fmtTime } from './ui.js';
import { recordSummary } from './records.js';

const MAX_ROWS = 200;
const FRAME_MS = 100;

export function tailPanel(topic) {
  const partition = h('select', { 'aria-label': 'tail partition', id: 'tail-partition' },
    Array.from({ length: topic.partitionCount }, (_, p) => h('option', { value: p }, 'partition ' + p)));
  const toggle = h('button', { id: 'tail-toggle', class: 'primary' }, 'Start');
  const state = h('span', { id: 'tail-state', class: 'badge idle' }, 'stopped');
  const stats = h('span', { id: 'tail-stats', class: 'muted' });
  const tbody = h('tbody', { id: 'tail-rows' });
  const panel = h('section', { class: 'panel', id: 'tail' },
    h('div', { class: 'toolbar' }, h('h2', {}, 'Live tail'), partition, toggle, state, stats),
    h('div', { class: 'scroll tail-box' }, h('table', { class: 'records' },
      h('thead', {}, h('tr', {}, h('th', { class: 'num' }, 'Offset'), h('th', {}, 'Time'), h('th', {}, 'Record'))), tbody)));

  let es = null;
  let paused = false;
  let queue = [];
  let timer = null;
  let total = 0;
  let waiting = 0;
  let lastTotal = 0;
  let rate = 0;
  const rateTimer = setInterval(() => { rate = total - lastTotal; lastTotal = total; showStats(); }, 1000);

  function setState(text, cls) { state.textContent = text; state.className = 'badge ' + cls; }
  function showStats() {
    stats.textContent = es ? `${fmtNum(total)} received · ${fmtNum(rate)}/s` + (paused && waiting ? ` · ${fmtNum(waiting)} new while paused` : '') : '';
  }

  function start() {
    stop();
    total = 0; lastTotal = 0; waiting = 0;
    clear(tbody);
    es = new EventSource(`/v1/topics/${enc(topic.name)}/partitions/${partition.value}/stream`);
    setState('connecting', 'idle');
    es.onopen = () => setState(paused ? 'paused' : 'live', paused ? 'idle' : 'ok');
    es.onmessage = (ev) => {
      total++;
      queue.push(ev);
      if (queue.length > 2 * MAX_ROWS) queue = queue.slice(-MAX_ROWS);
      if (paused) waiting++; else schedule();
    };
    es.addEventListener('error', (ev) => {
      if (ev.data) { // the server ended the stream with an error event
        setState('error: ' + JSON.parse(ev.data).message, 'down');
        stop(false);
      } else if (es && es.readyState === EventSource.CONNECTING) {
        setState('reconnecting (records meanwhile are skipped)', 'busy');
      }
    });
    toggle.textContent = 'Pause';
  }

  function stop(resetState = true) {
    if (es) { es.close(); es = null; }
    clearTimeout(timer); timer = null; queue = [];
    toggle.textContent = 'Start';
    paused = false;
    if (resetState) setState('stopped', 'idle');
    showStats();
  }

  function schedule() {
    if (!timer) timer = setTimeout(flush, FRAME_MS);
  }

  function flush() {
    timer = null;
    const batch = queue.length > MAX_ROWS ? queue.slice(-MAX_ROWS) : queue;
    queue = [];
    const frag = document.createDocumentFragment();
    for (let i = batch.length - 1; i >= 0; i--) {
      const ev = batch[i];
      let r;
      try { r = JSON.parse(ev.data); } catch { r = { offset: ev.lastEventId, timestamp: -1, value: ev.data }; }
      frag.append(h('tr', { dataset: { offset: r.offset } }, h('td', { class: 'num' }, r.offset),
        h('td', { class: 'mono' }, fmtTime(r.timestamp)), h('td', { class: 'mono' }, recordSummary(r))));
    }
    tbody.prepend(frag);
    while (tbody.childElementCount > MAX_ROWS) tbody.lastElementChild.remove();
    showStats();
  }

  toggle.addEventListener('click', () => {
    if (!es) start();
    else if (!paused) { paused = true; waiting = 0; toggle.textContent = 'Resume'; setState('paused', 'idle'); showStats(); }
    else { paused = false; waiting = 0; toggle.textContent = 'Pause'; setState('live', 'ok'); flush(); }
  });
  partition.addEventListener('change', () => { if (es) start(); });

  return { el: panel, start, close: () => { stop(); clearInterval(rateTimer); } };
}
