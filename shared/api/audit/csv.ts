import type { AuditEntryView } from './views.ts';

// The CSV is a wire format: its header is the JSON view's field names.
const COLUMNS: (keyof AuditEntryView)[] = [
  'id',
  'timestamp',
  'user_id',
  'username',
  'action',
  'resource_kind',
  'resource_id',
  'cluster_id',
  'status_code',
  'request_ip',
  'request_id',
  'details',
];

/** RFC 4180 quoting, plus a leading quote on cells a spreadsheet would run as a formula. */
function cell(value: unknown): string {
  let text = value === null || value === undefined ? '' : typeof value === 'object' ? JSON.stringify(value) : String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** The audit entries as CSV with a header row. */
export function auditCsv(entries: AuditEntryView[]): string {
  const lines = [COLUMNS.join(',')];
  for (const entry of entries) lines.push(COLUMNS.map((c) => cell(entry[c])).join(','));
  return lines.join('\r\n') + '\r\n';
}
