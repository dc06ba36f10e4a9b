// Live tail over the SSE endpoint, read with fetch() (sse.js) so that the token, when the server asks for one,
// goes in a header. Events are queued as they come and drawn at most ten times a second, only the newest
// MAX_ROWS of them (JSON is parsed only for what is drawn), so a tail of 10k records/s keeps the page
// responsive; every event is counted. Paused, the stream stays open and the queue keeps only what would be
// drawn. A dropped connection is reopened at the offset after the last record received, so none is skipped.
import { ApiError, enc, qs } from './api.js';
import { h, clear, fmtNum, fmtTime } from './ui.js';
import { recordSummary } from './records.js';
import { readEvents } from './sse.js';

const MAX_ROWS = 200;
const FRAME_MS = 100;
const RETRY_MIN_MS = 500;
const RETRY_MAX_MS = 10000;

/** The server ended the stream with an error event: reconnecting would meet the same error. */
class StreamFailed extends Error {}

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

  let conn = null; // the open stream's AbortController; null when stopped
  let next = null; // where a reconnect resumes (the offset after the last record received); null: at the end
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
    stats.dataset.total = total;
    stats.textContent = conn ? `${fmtNum(total)} received · ${fmtNum(rate)}/s` + (paused && waiting ? ` · ${fmtNum(waiting)} new while paused` : '') : '';
  }

  function start() {
    stop();
    total = 0; lastTotal = 0; waiting = 0; next = null;
    clear(tbody);
    conn = new AbortController();
    toggle.textContent = 'Pause';
    follow(conn, `/v1/topics/${enc(topic.name)}/partitions/${partition.value}/stream`);
    showStats();
  }

  async function follow(ctl, url) {
    let delay = RETRY_MIN_MS;
    setState('connecting', 'idle');
    while (conn === ctl) {
      try {
        await readEvents(url + qs({ offset: next }), { signal: ctl.signal, onEvent: receive, onOpen: () => {
          delay = RETRY_MIN_MS;
          setState(paused ? 'paused' : 'live', paused ? 'idle' : 'ok');
        } });
        // the server closed the stream (it is shutting down): reconnect below
      } catch (e) {
        if (conn !== ctl) return; // stopped: the abort was ours
        if (e instanceof ApiError && e.status === 416) { next = null; continue; } // resume point gone (retention)
        if (e instanceof StreamFailed || (e instanceof ApiError && e.status < 500)) {
          setState(e.status === 401 ? 'needs a token' : 'error: ' + e.message, 'down');
          stop(false);
          return;
        }
      }
      if (conn !== ctl) return;
      setState('reconnecting', 'busy');
      await new Promise((resume) => setTimeout(resume, delay));
      delay = Math.min(2 * delay, RETRY_MAX_MS);
    }
  }

  function receive(ev) {
    if (ev.type === 'error') throw new StreamFailed(JSON.parse(ev.data).message);
    if (ev.type !== 'message') return;
    total++;
    if (ev.id !== null) next = String(BigInt(ev.id) + 1n);
    queue.push(ev);
    if (queue.length > 2 * MAX_ROWS) queue = queue.slice(-MAX_ROWS);
    if (paused) waiting++; else schedule();
  }

  function stop(resetState = true) {
    if (conn) { conn.abort(); conn = null; }
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
      try { r = JSON.parse(ev.data); } catch { r = { offset: ev.id, timestamp: -1, value: ev.data }; }
      frag.append(h('tr', { dataset: { offset: r.offset } }, h('td', { class: 'num' }, r.offset),
        h('td', { class: 'mono' }, fmtTime(r.timestamp)), h('td', { class: 'mono' }, recordSummary(r))));
    }
    tbody.prepend(frag);
    while (tbody.childElementCount > MAX_ROWS) tbody.lastElementChild.remove();
    showStats();
  }

  toggle.addEventListener('click', () => {
    if (!conn) start();
    else if (!paused) { paused = true; waiting = 0; toggle.textContent = 'Resume'; setState('paused', 'idle'); showStats(); }
    else { paused = false; waiting = 0; toggle.textContent = 'Pause'; setState('live', 'ok'); flush(); }
  });
  partition.addEventListener('change', () => { if (conn) start(); });

  return { el: panel, start, close: () => { stop(); clearInterval(rateTimer); } };
}
