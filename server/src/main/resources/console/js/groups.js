// Consumer groups: every group with members or committed offsets, then per group its state and members (as the Kafka
// listener holds them now, with the partitions assigned to each) and the committed offset, high watermark and
// lag of each partition.
import { api, enc } from './api.js';
import { h, clear, fmtNum, every, errorLine } from './ui.js';

export function mount(view, group) {
  const body = h('div', { id: 'groups' });
  view.append(h('h1', {}, group ? 'Group ' + group : 'Consumer groups'), body);
  return every(5000, group ? () => one(body, group) : () => list(body));
}

async function list(body) {
  let r;
  try { r = await api('/v1/groups'); } catch (e) { clear(body, errorLine(e)); return; }
  clear(body, r.groups.length === 0
    ? h('p', { class: 'muted' }, 'No consumer group yet (Kafka consumer groups and HTTP commits both show here).')
    : h('div', { class: 'scroll' }, h('table', { id: 'group-list' },
      h('thead', {}, h('tr', {}, h('th', {}, 'Group'), h('th', {}, 'State'), h('th', { class: 'num' }, 'Members'),
        h('th', { class: 'num' }, 'Topics'), h('th', { class: 'num' }, 'Total lag'))),
      h('tbody', {}, r.groups.map((g) => h('tr', { dataset: { group: g.group } },
        h('td', {}, h('a', { href: '#/groups/' + enc(g.group) }, g.group)), h('td', {}, g.state ?? '–'),
        h('td', { class: 'num' }, fmtNum(g.members)), h('td', { class: 'num' }, g.topics),
        h('td', { class: 'num', dataset: { lag: g.lag } }, fmtNum(g.lag))))))),
  r.truncated ? h('p', { class: 'muted' }, `Showing ${r.groups.length} of ${r.total} groups.`) : null);
  body.dataset.loaded = 'true';
}

async function one(body, group) {
  let r;
  try { r = await api('/v1/groups/' + enc(group)); } catch (e) { clear(body, errorLine(e), h('a', { href: '#/groups' }, 'All groups')); return; }
  clear(body, members(r),
    r.topics.map((t) => h('section', { class: 'panel' },
      h('h2', {}, t.exists ? h('a', { href: '#/topic/' + enc(t.topic) }, t.topic) : t.topic + ' (deleted)'),
      h('div', { class: 'scroll' }, h('table', { class: 'group-offsets', dataset: { topic: t.topic } },
        h('thead', {}, h('tr', {}, h('th', { class: 'num' }, 'Partition'), h('th', { class: 'num' }, 'Committed'),
          h('th', { class: 'num' }, 'High watermark'), h('th', { class: 'num' }, 'Lag'))),
        h('tbody', {}, t.partitions.map((p) => h('tr', { dataset: { partition: p.partition, lag: p.lag ?? '' } },
          h('td', { class: 'num' }, p.partition), h('td', { class: 'num' }, fmtNum(p.committed)),
          h('td', { class: 'num' }, fmtNum(p.highWatermark)), h('td', { class: 'num' }, fmtNum(p.lag))))))))),
    h('a', { href: '#/groups' }, '← All groups'));
  body.dataset.loaded = 'true';
}

function members(r) {
  if (!r.members) return h('p', { class: 'muted', id: 'members-note' }, r.membersNote);
  const assigned = (m) => Object.entries(m.assigned).map(([t, ps]) => `${t}: ${ps.join(', ')}`).join('; ') || '–';
  return h('section', { class: 'panel', id: 'members' },
    h('h2', {}, 'Members ', h('span', { class: 'badge ' + (r.state === 'Stable' ? 'ok' : 'idle'), id: 'group-state' }, r.state)),
    r.members.length === 0
      ? h('p', { class: 'muted', id: 'members-note' }, 'No member now: committed offsets only.')
      : h('div', { class: 'scroll' }, h('table', { class: 'group-members' },
        h('thead', {}, h('tr', {}, h('th', {}, 'Client'), h('th', {}, 'Host'), h('th', {}, 'Assigned partitions'), h('th', {}, 'Member id'))),
        h('tbody', {}, r.members.map((m) => h('tr', { dataset: { member: m.memberId } },
          h('td', {}, m.clientId + (m.instanceId ? ` (static: ${m.instanceId})` : '')), h('td', { class: 'mono' }, m.clientHost),
          h('td', { class: 'mono' }, assigned(m)), h('td', { class: 'mono' }, m.memberId)))))),
    r.memberCount > r.members.length ? h('p', { class: 'muted' }, `Showing ${r.members.length} of ${r.memberCount} members.`) : null);
}
