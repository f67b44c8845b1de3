/** How the CLI prints for people: aligned tables and `key: value` records. `--json` bypasses both. */

const cell = (value: unknown): string => {
  if (value === null || value === undefined) return '';
  if (Array.isArray(value)) return value.map(cell).join(',');
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
};

/** Rows as an aligned table with the given columns (header → value of a row); `(none)` when empty. */
export function table<T>(rows: readonly T[], columns: Record<string, (row: T) => unknown>): string {
  if (rows.length === 0) return '(none)';
  const headers = Object.keys(columns);
  const cells = rows.map((row) => headers.map((header) => cell(columns[header]?.(row))));
  const widths = headers.map((header, i) => Math.max(header.length, ...cells.map((line) => (line[i] ?? '').length)));
  const line = (values: string[]) => values.map((value, i) => value.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  return [line(headers), ...cells.map(line)].join('\n');
}

/** One object as aligned `key: value` lines (absent values shown as `-`). */
export function record(value: unknown): string {
  if (value === null || typeof value !== 'object') return cell(value);
  const entries = Object.entries(value as Record<string, unknown>);
  const width = Math.max(...entries.map(([key]) => key.length)) + 1;
  return entries.map(([key, entry]) => `${`${key}:`.padEnd(width)} ${cell(entry) || '-'}`).join('\n');
}

/** `--json`: the admin API's answer, as it is (null for absent values, camelCase names). */
export function json(value: unknown): string {
  return JSON.stringify(value ?? null, null, 2);
}
