/**
 * Tables in asadm's layout: a title line centred in `~` with the time it was taken, a header row,
 * one row per entry with cells separated by `|`, and `Number of rows: N`. Horizontal tables have
 * one row per node/entry; vertical ones (show config/statistics) one row per name, one column per
 * node, as asadm prints them.
 */

/** Cell text: numbers right-aligned, everything else left-aligned, as asadm does. */
export type Cell = string | number | boolean | undefined;

function text(c: Cell): string {
  if (c === undefined) return '--';
  return String(c);
}

function isNumeric(c: Cell): boolean {
  return typeof c === 'number' || (typeof c === 'string' && /^-?\d+(\.\d+)?( [KMGT]?B| %)?$/.test(c));
}

/** The title line: `~~~~Title (YYYY-MM-DD HH:MM:SS UTC)~~~~` as wide as the table. */
export function titleLine(title: string, width: number, at = new Date()): string {
  const stamp = at.toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
  const t = `${title} (${stamp})`;
  const w = Math.max(width, t.length + 4);
  const left = Math.floor((w - t.length) / 2);
  return `${'~'.repeat(left)}${t}${'~'.repeat(w - t.length - left)}`;
}

/** Renders a horizontal table. */
export function renderTable(title: string, headers: string[], rows: Cell[][], at?: Date): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => text(r[i]).length)));
  const line = (cells: Cell[], header: boolean) =>
    cells
      .map((c, i) => {
        const s = text(c);
        return header || !isNumeric(c) ? s.padEnd(widths[i]!) : s.padStart(widths[i]!);
      })
      .join('|')
      .trimEnd();
  const width = widths.reduce((a, b) => a + b, 0) + widths.length - 1;
  return [titleLine(title, width, at), line(headers, true), ...rows.map((r) => line(r, false)), `Number of rows: ${rows.length}`, ''].join('\n');
}

/**
 * Renders a vertical table: `columns` name the nodes; each map is one node's name → value.
 * Names are the union over nodes, sorted; a name a node lacks shows `--`.
 */
export function renderVertical(title: string, columns: string[], values: Map<string, string>[], at?: Date): string {
  const names = [...new Set(values.flatMap((m) => [...m.keys()]))].sort();
  const rows = names.map((n) => [n, ...values.map((m) => m.get(n))]);
  return renderTable(title, ['Node', ...columns], rows, at);
}

/** Parses a rendered table back into header and rows (tests, and `-e` callers scripting asadm). */
export function parseTable(out: string, title: string): { headers: string[]; rows: string[][] } | undefined {
  const lines = out.split('\n');
  const start = lines.findIndex((l) => l.includes(`~${title} (`));
  if (start < 0) return undefined;
  // a prompt may precede the title line in interactive output
  const headers = lines[start + 1]!.split('|').map((s) => s.trim());
  const rows: string[][] = [];
  for (let i = start + 2; i < lines.length && !lines[i]!.startsWith('Number of rows:'); i++) rows.push(lines[i]!.split('|').map((s) => s.trim()));
  return { headers, rows };
}

/** Bytes as asadm shows them (1024-based, two decimals). */
export function bytes(n: number | undefined): string {
  if (n === undefined || !Number.isFinite(n)) return '--';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${u === 0 ? v : v.toFixed(3)} ${units[u]}`;
}

/** Seconds as `HH:MM:SS` (hours may exceed 24, as asadm's uptime column). */
export function hms(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds)) return '--';
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = Math.floor(seconds % 60);
  return `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}`;
}
