// The tier map of one partition, drawn to scale over [logStartOffset, highWatermark): the segments held in S3
// (top lane), the local segments (bottom lane, the active one hatched) and, between them, which offsets are
// only in S3, in both tiers, or only local. Every range is also written out in numbers.
import { h, fmtNum, fmtBytes } from './ui.js';

const NS = 'http://www.w3.org/2000/svg';
const W = 1000;

function svg(tag, attrs) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  return el;
}

/** The three ranges of a partition (each [from, to), or null when empty). */
export function ranges(s) {
  const lo = s.logStartOffset;
  const hw = s.highWatermark;
  const localStart = s.localLogStartOffset;
  const remoteEnd = s.remoteStartOffset >= 0 ? s.remoteEndOffset : lo;
  const r = (from, to) => (to > from ? [from, to] : null);
  return {
    remoteOnly: r(lo, Math.min(localStart, remoteEnd)),
    both: r(localStart, Math.min(remoteEnd, hw)),
    localOnly: r(Math.max(localStart, remoteEnd), hw),
  };
}

/** Builds the map from the answer of GET .../partitions/{p}/segments. */
export function tierMap(s) {
  const lo = s.logStartOffset;
  const hi = Math.max(s.highWatermark, lo + 1);
  const x = (o) => ((Math.min(Math.max(o, lo), hi) - lo) / (hi - lo)) * W;
  const pic = svg('svg', { viewBox: `0 0 ${W} 46`, preserveAspectRatio: 'none', class: 'tiermap-svg', role: 'img',
    'aria-label': `partition ${s.partition}: offsets ${lo} to ${s.highWatermark}` });
  const lane = (segs, y, cls) => {
    for (const g of segs) {
      const rect = svg('rect', { x: x(g.baseOffset), y, width: Math.max(x(g.nextOffset) - x(g.baseOffset), 0.5), height: 12,
        class: cls + (g.active ? ' active' : '') + (g.offloaded ? ' offloaded' : ''), 'data-from': g.baseOffset, 'data-to': g.nextOffset });
      rect.append(svg('title', {}));
      rect.firstChild.textContent = `${cls === 'seg-remote' ? 'S3' : g.active ? 'active local' : 'local'} segment [${g.baseOffset}, ${g.nextOffset}), ${fmtBytes(g.bytes)}`;
      pic.append(rect);
    }
  };
  lane(s.remote, 0, 'seg-remote');
  const rg = ranges(s);
  for (const [key, cls] of [['remoteOnly', 'band-remote'], ['both', 'band-both'], ['localOnly', 'band-local']]) {
    const r = rg[key];
    if (r) pic.append(svg('rect', { x: x(r[0]), y: 17, width: Math.max(x(r[1]) - x(r[0]), 0.5), height: 12, class: cls }));
  }
  lane(s.local, 34, 'seg-local');

  const label = (key, text, cls) => {
    const r = rg[key];
    return h('span', { class: 'range ' + cls, dataset: { band: key, from: r ? r[0] : '', to: r ? r[1] : '' } },
      h('i', {}), text + ' ', r ? `[${fmtNum(r[0])}, ${fmtNum(r[1])})` : 'none');
  };
  const m = h('div', { class: 'tiermap', dataset: { partition: s.partition, logStart: lo, localStart: s.localLogStartOffset,
    remoteEnd: s.remoteEndOffset, hw: s.highWatermark, segments: s.local.length + s.remote.length } },
  h('div', { class: 'tiermap-head' }, h('strong', {}, 'Partition ' + s.partition),
    h('span', { class: 'muted' }, ` log start ${fmtNum(lo)} · high watermark ${fmtNum(s.highWatermark)} · `,
      `${s.remoteSegmentCount} in S3 (${fmtBytes(s.remoteBytes)}), ${s.localSegmentCount} local (${fmtBytes(s.localBytes)})`,
      s.offloadLagBytes ? ` · ${fmtBytes(s.offloadLagBytes)} waiting for upload` : '',
      s.truncated ? ' · newest segments only' : '')),
  h('div', { class: 'tiermap-body' },
    h('div', { class: 'lanes' }, h('span', {}, 'S3'), h('span', {}, 'tiers'), h('span', {}, 'local')), pic),
  h('div', { class: 'legend' }, label('remoteOnly', 'only in S3', 'remote'), label('both', 'in both', 'both'),
    label('localOnly', 'only local', 'local')));
  return m;
}
