/** Small statistics and text-table helpers for the reports. */

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Nearest-rank percentile (p in 0–100). */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** `median (min–max)`. */
export function range(values: readonly number[], digits: number): string {
  if (values.length === 0) return 'n/a';
  const fmt = (value: number) => value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
  if (values.length === 1) return fmt(values[0]!);
  return `${fmt(median(values))} (${fmt(Math.min(...values))}–${fmt(Math.max(...values))})`;
}

/** A fixed-width text table: first column left-aligned, the others right-aligned. */
export function textTable(rows: string[][]): string {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length)));
  return rows
    .map((row) => row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join('  '))
    .join('\n');
}

/** A Markdown table (first row is the header). */
export function markdownTable(rows: string[][], align: Array<'l' | 'r'> = []): string {
  const escapeCell = (cell: string) => cell.replaceAll('|', '\\|');
  const [header, ...body] = rows;
  const rule = header!.map((_, column) => ((align[column] ?? 'l') === 'r' ? '---:' : '---'));
  return [header!, rule, ...body].map((row) => `| ${row.map(escapeCell).join(' | ')} |`).join('\n');
}
