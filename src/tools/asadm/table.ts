/**
 * Tables in asadm's column-sheet layout (aerospike-admin `lib/view/sheet/render/column_rsheet.py`):
 * - a title line: the title (with the time it was taken) centred in `~` as wide as the table,
 *   repeated across very wide tables as asadm does past the terminal width;
 * - an optional description line centred under it;
 * - column titles right-justified and word-wrapped onto several lines when a title is wider than
 *   its column (a column is as wide as its widest cell or the longest word of its title); titles
 *   are top-aligned, so a one-line title leaves the lines under it blank;
 * - a grouped column ("Read" over "Quota") has its group title centred in `~` above its columns;
 * - cells joined by `|`: numbers right-aligned, everything else left-aligned; a missing value is
 *   `--`; a column with no value in any row is left out, as asadm hides it;
 * - `Number of rows: N`; an empty table prints nothing at all.
 */

/** One cell: undefined prints `--` (asadm's no-entry). */
export type Cell = string | number | boolean | undefined;

/** A column: a title, or a group title over its own columns. */
export type Column = string | { group: string; columns: string[] };

/** Terminal width asadm assumes when its output is not a terminal (its get_terminal_size fallback). */
export const FALLBACK_TERMINAL_COLUMNS = 160;

function text(c: Cell): string {
  if (c === undefined) return '--';
  return String(c);
}

function isNumeric(c: Cell): boolean {
  return typeof c === 'number' || (typeof c === 'string' && /^-?\d+(\.\d+)?( [KMGTP]?B| [KMGTPE]| %)?$/.test(c));
}

/** Python's `str.center` (the odd extra pad goes left when the width is odd, right otherwise). */
export function pyCenter(s: string, width: number, fill = ' '): string {
  if (s.length >= width) return s;
  const marg = width - s.length;
  const left = Math.floor(marg / 2) + (marg & width & 1);
  return fill.repeat(left) + s + fill.repeat(marg - left);
}

/** The width of the terminal asadm would lay the title out for. */
function terminalColumns(): number {
  const env = Number(process.env['COLUMNS']);
  if (Number.isInteger(env) && env > 0) return env;
  return process.stdout.isTTY && process.stdout.columns ? process.stdout.columns : FALLBACK_TERMINAL_COLUMNS;
}

/** `Title (YYYY-MM-DD HH:MM:SS UTC)` as asadm stamps its titles. */
export function stampedTitle(title: string, at = new Date()): string {
  return `${title} (${at.toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC')})`;
}

/** The title line for a table `width` characters wide (asadm's `_do_render_title`). */
export function titleLine(title: string, width: number, columns = terminalColumns()): string {
  const fill = '~';
  const minColumns = Math.max(title.length + 6, columns);
  const repeats = Math.floor(width / minColumns);
  let t: string;
  if (width > minColumns && repeats !== 1) {
    const extra = Math.floor((columns % minColumns) / repeats);
    const one = pyCenter(title, minColumns + extra, fill);
    t = one.repeat(repeats);
    t = t + fill.repeat(Math.max(0, width - t.length));
  } else t = pyCenter(title, width, fill);
  if (t.length > 0) {
    if (!t.startsWith(fill)) t = fill + t;
    if (!t.endsWith(fill)) t += fill;
  }
  return t;
}

/** Word-wraps a column title to `width` as asadm does (a word never breaks). */
function wrapTitle(title: string, width: number): string[] {
  if (title.length <= width) return [title];
  const words = title.split(' ');
  const lines: string[] = [];
  let line = [words[0]!];
  let cur = words[0]!.length;
  for (const w of words.slice(1)) {
    if (w.length + cur < width) {
      line.push(w);
      cur += w.length + 1;
    } else {
      lines.push(line.join(' '));
      line = [w];
      cur = w.length;
    }
  }
  lines.push(line.join(' '));
  return lines;
}

const longestWord = (t: string) => Math.max(...t.split(' ').map((w) => w.length));

interface Leaf {
  title: string;
  index: number;
  width: number;
  lines: string[];
}
interface Group {
  title: string;
  width: number;
  lines: string[];
  leaves: Leaf[];
}

function centredDescription(desc: string, lineWidth: number): string[] {
  const words = desc.split(' ');
  const lines: string[] = [];
  let cur: string[] = [];
  while (words.length > 0) {
    cur.push(words.shift()!);
    const line = cur.join(' ');
    if (line.length >= lineWidth) {
      if (cur.length > 1) words.unshift(cur.pop()!);
      lines.push(cur.join(' '));
      cur = [];
    }
  }
  if (cur.length > 0) lines.push(cur.join(' '));
  return lines.map((l) => pyCenter(l, lineWidth));
}

export interface TableOptions {
  /** when the data was read (the title's stamp); default now */
  at?: Date;
  /** a line centred under the title, as asadm's sheets with a description */
  description?: string;
  /** column titles whose cells are right-aligned whatever they hold (asadm's `align=right`) */
  alignRight?: string[];
}

/** Renders a table; `rows` hold one cell per leaf column, in order. */
export function renderTable(title: string, columns: Column[], rows: Cell[][], opts: TableOptions = {}): string {
  if (rows.length === 0) return '';
  const cells = rows.map((r) => r.map(text));
  let index = 0;
  const fields: (Leaf | Group)[] = [];
  const makeLeaf = (t: string): Leaf | undefined => {
    const i = index++;
    // asadm hides a column none of whose rows has a value
    if (rows.every((r) => r[i] === undefined)) return undefined;
    return { title: t, index: i, width: Math.max(longestWord(t), ...cells.map((r) => (r[i] ?? '--').length)), lines: [] };
  };
  for (const col of columns) {
    if (typeof col === 'string') {
      const leaf = makeLeaf(col);
      if (leaf) fields.push(leaf);
      continue;
    }
    const leaves = col.columns.map(makeLeaf).filter((l): l is Leaf => l !== undefined);
    if (leaves.length === 0) continue;
    const seps = leaves.length - 1;
    const subWidth = leaves.reduce((a, l) => a + l.width, 0);
    let width = Math.max(subWidth + seps, longestWord(col.group));
    let lines = wrapTitle(col.group, width);
    const lineLen = Math.max(...lines.map((l) => l.length));
    // at least one `~` must show on each side of a group title
    if (width === lineLen) width += 2;
    else if (width - 1 === lineLen) width += 1;
    lines = wrapTitle(col.group, width);
    if (width - seps > subWidth) {
      const diff = width - seps - subWidth;
      const share = Math.floor(diff / leaves.length);
      let extra = diff % leaves.length;
      for (const l of leaves) {
        l.width += share + (extra > 0 ? 1 : 0);
        if (extra > 0) extra--;
      }
    }
    fields.push({ title: col.group, width, lines, leaves });
  }
  if (fields.length === 0) return '';
  const allLeaves: Leaf[] = [];
  for (const f of fields) {
    if ('leaves' in f) allLeaves.push(...f.leaves);
    else allLeaves.push(f);
  }
  for (const l of allLeaves) l.lines = wrapTitle(l.title, l.width);
  const titleLines = (f: Leaf | Group): number => ('leaves' in f ? f.lines.length + Math.max(...f.leaves.map((l) => l.lines.length)) : f.lines.length);
  const nLines = Math.max(...fields.map(titleLines));
  const leafLine = (l: Leaf, n: number) => (l.lines[n] ?? '').padStart(l.width);
  const headerLine = (n: number) =>
    fields
      .map((f) => {
        if (!('leaves' in f)) return leafLine(f, n);
        if (n < f.lines.length) return pyCenter(f.lines[n]!, f.width, '~');
        return f.leaves.map((l) => leafLine(l, n - f.lines.length)).join('|');
      })
      .join('|');
  const width = allLeaves.reduce((a, l) => a + l.width, 0) + allLeaves.length - 1;
  const right = new Set(opts.alignRight ?? []);
  const out: string[] = [];
  const t = titleLine(stampedTitle(title, opts.at), width);
  out.push(t);
  if (opts.description) out.push(...centredDescription(opts.description, t.length));
  for (let n = 0; n < nLines; n++) out.push(headerLine(n));
  for (const [ri, r] of rows.entries()) {
    out.push(
      allLeaves
        .map((l) => {
          const s = cells[ri]![l.index] ?? '--';
          return isNumeric(r[l.index]) || right.has(l.title) ? s.padStart(l.width) : s.padEnd(l.width);
        })
        .join('|'),
    );
  }
  out.push(`Number of rows: ${rows.length}`, '');
  return out.join('\n');
}

/**
 * Renders a vertical table as asadm's row sheet (show config, show statistics): one row per name,
 * the first being `Node` with the node names, one column per node; the names are left-justified
 * to the longest, every value is left-justified to its column, the title line is two characters
 * wider than the rows, and `Number of rows` counts the `Node` row too. Names are the union over
 * the nodes, sorted; a name a node lacks shows `--`.
 */
export function renderVertical(title: string, columns: string[], values: Map<string, string>[], opts: TableOptions = {}): string {
  const names = [...new Set(values.flatMap((m) => [...m.keys()]))].sort();
  if (names.length === 0) return '';
  const rows: string[][] = [['Node', ...columns], ...names.map((n) => [n, ...values.map((m) => m.get(n) ?? '--')])];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const lines = rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('|'));
  const out = [titleLine(stampedTitle(title, opts.at), lines[0]!.length + 2), ...lines, `Number of rows: ${rows.length}`, ''];
  return out.join('\n');
}

/**
 * Parses a rendered table back into column names and rows (tests, and `-e` callers scripting
 * asadm). Wrapped titles are joined with spaces; a grouped column is named `Group Title`
 * (`Read Quota`). Undefined when the table is not in `out` (an empty table prints nothing).
 */
export function parseTable(out: string, title: string): { headers: string[]; rows: string[][] } | undefined {
  const lines = out.split('\n');
  const start = lines.findIndex((l) => l.includes(`${title} (`) && l.includes('~'));
  if (start < 0) return undefined;
  let end = start + 1;
  while (end < lines.length && !lines[end]!.startsWith('Number of rows: ')) end++;
  if (end >= lines.length) return undefined;
  const n = Number(lines[end]!.slice('Number of rows: '.length));
  const rowLines = lines.slice(end - n, end);
  // header lines carry `|` (a description line does not, unless the table has one column)
  const between = lines.slice(start + 1, end - n);
  if (between.length === 0) {
    // a row sheet (show config/statistics) has no header lines: its first row, `Node|…`, names the columns
    const all = lines.slice(end - n, end).map((l) => l.split('|').map((c) => c.trim()));
    return all.length === 0 ? undefined : { headers: all[0]!, rows: all.slice(1) };
  }
  // header lines carry `|` (a description line does not), unless the table has one column
  const head = between.some((l) => l.includes('|')) ? between.filter((l) => l.includes('|')) : between.slice(-1);
  const segments = (l: string) => {
    const out: { a: number; b: number; s: string }[] = [];
    let a = 0;
    for (const part of l.split('|')) {
      out.push({ a, b: a + part.length, s: part });
      a += part.length + 1;
    }
    return out;
  };
  const leafLine = head.length > 0 ? head[head.length - 1]! : rowLines[0] ?? '';
  const leaves = segments(leafLine);
  const headers = leaves.map((leaf) => {
    const parts: string[] = [];
    for (const l of head) {
      const seg = segments(l).find((s) => s.a <= leaf.a && leaf.a <= s.b);
      const word = seg ? seg.s.replace(/~/g, ' ').trim() : '';
      if (word !== '') parts.push(word);
    }
    return parts.join(' ');
  });
  const rows = rowLines.map((l) => l.split('|').map((s) => s.trim()));
  return { headers, rows };
}

/** Bytes as asadm shows them (1024-based, three decimals). */
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

/**
 * A count in asadm's scientific units (its `Converters.scientific_units`): below 1,000 as is,
 * else three decimals and K, M, G, T, P or E (powers of 1,000).
 */
export function scientific(n: number | undefined): string | undefined {
  if (n === undefined || !Number.isFinite(n)) return undefined;
  const units = ['', 'K', 'M', 'G', 'T', 'P', 'E'];
  let v = n;
  let u = 0;
  while (Math.abs(v) >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return u === 0 ? String(v) : `${v.toFixed(3)} ${units[u]}`;
}

/** Seconds as `HH:MM:SS` (hours may exceed 24, as asadm's uptime column). */
export function hms(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds)) return '--';
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = Math.floor(seconds % 60);
  return `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}`;
}
