// Changes made from the console: create a topic, produce a test record, delete a topic (after typing its
// name). They use the public API only, so they need whatever it needs (a token, once authentication exists).
import { api, enc } from './api.js';
import { dialog, field, h, toast } from './ui.js';

/** Asks for a topic's settings and creates it; resolves to its name, or null when cancelled or refused. */
export async function createTopicDialog() {
  const v = await dialog({ title: 'Create topic', submit: 'Create', body: [
    field('Name', h('input', { name: 'name', required: true, pattern: '[A-Za-z0-9._\\-]+', maxlength: 200, title: 'letters, digits, . _ and -', autocomplete: 'off' })),
    field('Partitions', h('input', { name: 'partitions', type: 'number', min: 1, max: 1024, value: '1', required: true })),
    field('Schema', h('select', { name: 'schema' }, h('option', { value: 'metrics' }, 'metrics'), h('option', { value: 'bytes' }, 'bytes'))),
    field('Segment bytes (optional)', h('input', { name: 'segmentBytes', type: 'number', min: 1024, placeholder: '134217728' })),
    field('Local retention ms (optional)', h('input', { name: 'localRetentionMs', type: 'number', min: -1, placeholder: '86400000' })),
  ] });
  if (!v) return null;
  const config = { schema: v.schema };
  if (v.segmentBytes) config.segmentBytes = Number(v.segmentBytes);
  if (v.localRetentionMs) config.localRetentionMs = Number(v.localRetentionMs);
  try {
    await api('/v1/topics', { method: 'POST', body: { name: v.name, partitions: Number(v.partitions), config } });
    return v.name;
  } catch (e) {
    toast('Create failed: ' + e.message, 'error');
    return null;
  }
}

/** Produces one record typed in a dialog; resolves to the acknowledgement, or null. */
export async function produceDialog(topic) {
  const metrics = topic.config.schema === 'metrics';
  const body = metrics
    ? [field('Metric name', h('input', { name: 'name', required: true, value: 'console.test' })),
      field('Tags (k=v, comma separated)', h('input', { name: 'tags', placeholder: 'host=web-1', value: 'source=console' })),
      field('Value', h('input', { name: 'value', type: 'number', step: 'any', required: true, value: '1' }))]
    : [field('Key (optional)', h('input', { name: 'key' })),
      field('Value (JSON or text)', h('textarea', { name: 'value', rows: 3, required: true }, '{"hello": "tierlog"}'))];
  const v = await dialog({ title: 'Produce a test record to ' + topic.name, submit: 'Produce', body });
  if (!v) return null;
  let record;
  if (metrics) {
    const tags = {};
    for (const pair of (v.tags || '').split(',').map((s) => s.trim()).filter(Boolean)) {
      const i = pair.indexOf('=');
      if (i > 0) tags[pair.slice(0, i).trim()] = pair.slice(i + 1).trim();
    }
    record = { name: v.name, tags, value: Number(v.value), timestamp: Date.now() };
  } else {
    let value;
    try { value = JSON.parse(v.value); } catch { value = v.value; }
    record = { value };
    if (v.key) record.key = v.key;
  }
  try {
    const ack = await api('/v1/topics/' + enc(topic.name) + '/records', { method: 'POST', body: { records: [record] } });
    const o = ack.offsets[0];
    toast(`Produced to partition ${o.partition} at offset ${o.baseOffset}`);
    return ack;
  } catch (e) {
    toast('Produce failed: ' + e.message, 'error');
    return null;
  }
}

/** Deletes a topic after the user typed its name; resolves to true when deleted. */
export async function deleteTopicDialog(name) {
  const v = await dialog({ title: 'Delete topic ' + name + '?', submit: 'Delete topic', danger: true, confirmWord: name,
    body: h('p', {}, 'This removes its local segments, its objects in S3 and its committed offsets. It cannot be undone.') });
  if (!v) return false;
  try {
    await api('/v1/topics/' + enc(name), { method: 'DELETE' });
    toast('Deleted topic ' + name);
    return true;
  } catch (e) {
    toast('Delete failed: ' + e.message, 'error');
    return false;
  }
}
