// How one record reads in a table cell: metrics as name{tags} = value, bytes records as key: value.
export function recordSummary(r) {
  if (r.name !== undefined) {
    const tags = Object.entries(r.tags || {}).map(([k, v]) => `${k}=${v}`).join(',');
    return `${r.name}{${tags}} = ${r.value}` + (r.type ? ` (${r.type})` : '');
  }
  const key = r.key !== undefined ? r.key : r.keyBase64 !== undefined ? 'base64:' + r.keyBase64 : null;
  const value = r.value !== undefined ? JSON.stringify(r.value) : r.valueBase64 !== undefined ? 'base64:' + r.valueBase64 : 'null';
  return (key === null ? '' : key + ': ') + value;
}
