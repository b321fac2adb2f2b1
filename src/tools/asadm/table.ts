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
  // sizes and counts as asadm converts them keep its trailing pad (`512.000 B `, `20.000  `)
  return typeof c === 'number' || (typeof c === 'string' && /^-?\d+(\.\d+)?( [KMGTPE]?B ?| [KMGTPE]|  | %)?$/.test(c));
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
  /** false: the title carries no time (asadm's summary sheets) */
  stamp?: boolean;
  /**
   * aggregate rows (asadm's per-group totals of a sheet grouped by a column): each is printed
   * after data row `after` (its index in `rows`); a cell undefined is blank (a column without an
   * aggregate), `--` prints as asadm's no-entry. They are not counted in `Number of rows`.
   */
  totals?: { after: number; cells: Cell[] }[];
  /** a line centred under the title, as asadm's sheets with a description */
  description?: string;
  /** column titles whose cells are right-aligned whatever they hold (asadm's `align=right`) */
  alignRight?: string[];
  /** column titles whose cells are left-aligned whatever they hold (asadm's string fields) */
  alignLeft?: string[];
}

/** Renders a table; `rows` hold one cell per leaf column, in order. */
export function renderTable(title: string, columns: Column[], rows: Cell[][], opts: TableOptions = {}): string {
  if (rows.length === 0) return '';
  const cells = rows.map((r) => r.map(text));
  const totals = (opts.totals ?? []).map((t) => ({ after: t.after, raw: t.cells, cells: t.cells.map((c) => (c === undefined ? '' : String(c))) }));
  let index = 0;
  const fields: (Leaf | Group)[] = [];
  const makeLeaf = (t: string): Leaf | undefined => {
    const i = index++;
    // asadm hides a column none of whose rows has a value
    if (rows.every((r) => r[i] === undefined)) return undefined;
    return { title: t, index: i, width: Math.max(longestWord(t), ...cells.map((r) => (r[i] ?? '--').length), ...totals.map((r) => (r.cells[i] ?? '').length)), lines: [] };
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
  const t = titleLine(opts.stamp === false ? title : stampedTitle(title, opts.at), width);
  out.push(t);
  if (opts.description) out.push(...centredDescription(opts.description, t.length));
  for (let n = 0; n < nLines; n++) out.push(headerLine(n));
  // a column's alignment is its cells' kind (asadm aligns by field type): numbers right
  const left = new Set(opts.alignLeft ?? []);
  const rightSet = new Set(allLeaves.filter((l) => right.has(l.title) || (!left.has(l.title) && rows.every((r) => r[l.index] === undefined || isNumeric(r[l.index])))));
  const rightCol = (l: Leaf) => rightSet.has(l);
  for (const ri of rows.keys()) {
    out.push(
      allLeaves
        .map((l) => {
          const s = cells[ri]![l.index] ?? '--';
          return rightCol(l) ? s.padStart(l.width) : s.padEnd(l.width);
        })
        .join('|'),
    );
    for (const tot of totals) {
      if (tot.after !== ri) continue;
      out.push(allLeaves.map((l) => (rightCol(l) ? (tot.cells[l.index] ?? '').padStart(l.width) : (tot.cells[l.index] ?? '').padEnd(l.width))).join('|'));
    }
  }
  out.push(`Number of rows: ${rows.length}`, '');
  return out.join('\n');
}

/**
 * Renders asadm's row sheet of one entry (its `summary` Cluster Summary): one line per field, the
 * field names left-justified to the longest, `|`, the value left-justified; a field whose value
 * is undefined is left out (asadm hides a field with no entry). The title line is two characters
 * wider than the lines, as asadm lays it out.
 */
export function renderRowSheet(title: string, fields: [string, Cell][], opts: TableOptions = {}): string {
  const shown = fields.filter(([, v]) => v !== undefined).map(([k, v]) => [k, text(v)] as const);
  if (shown.length === 0) return '';
  const nameWidth = Math.max(...shown.map(([k]) => k.length));
  const valueWidth = Math.max(...shown.map(([, v]) => v.length));
  const lines = shown.map(([k, v]) => `${k.padEnd(nameWidth)}|${v.padEnd(valueWidth)}`);
  const t = titleLine(opts.stamp === false ? title : stampedTitle(title, opts.at), nameWidth + valueWidth + 3);
  return [t, ...lines, `Number of rows: ${shown.length}`, ''].join('\n');
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
export function parseTable(out: string, title: string, opts: { totals?: boolean } = {}): { headers: string[]; rows: string[][] } | undefined {
  const lines = out.split('\n');
  const start = lines.findIndex((l) => (l.includes(`~${title} (`) || l.includes(`~${title}~`)) && l.includes('~'));
  if (start < 0) return undefined;
  let end = start + 1;
  while (end < lines.length && !lines[end]!.startsWith('Number of rows: ')) end++;
  if (end >= lines.length) return undefined;
  let n = Number(lines[end]!.slice('Number of rows: '.length));
  if (opts.totals) {
    // `Number of rows` counts data rows; a totals row has blank cells (a data row never does)
    let data = 0;
    let i = end;
    while (data < n && i > start + 1) {
      i--;
      if (!lines[i]!.split('|').some((c) => c.trim() === '')) data++;
    }
    n = end - i;
  }
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

/** asadm's size scale (its `file_size.size`): the largest unit the value reaches, else the last. */
function scaled(n: number, units: readonly (readonly [number, string])[]): string {
  const [factor, suffix] = units.find(([f]) => n >= f) ?? units[units.length - 1]!;
  // asadm divides by a float, so even bytes print with three decimals
  return `${(n / factor).toFixed(3)}${suffix}`;
}

const BYTE_UNITS = [
  [1024 ** 5, ' PB'],
  [1024 ** 4, ' TB'],
  [1024 ** 3, ' GB'],
  [1024 ** 2, ' MB'],
  [1024, ' KB'],
  [1, ' B '],
] as const;

const SI_UNITS = [
  [1000 ** 5, ' P'],
  [1000 ** 4, ' T'],
  [1000 ** 3, ' G'],
  [1000 ** 2, ' M'],
  [1000, ' K'],
  [1, '  '],
] as const;

/**
 * Bytes as asadm's byte converter prints them: 1024-based, three decimals, the unit after a
 * space; bytes keep a trailing space (`512.000 B `), as asadm pads its unit names alike.
 */
export function bytes(n: number | undefined): string {
  if (n === undefined || !Number.isFinite(n)) return '--';
  return scaled(n, BYTE_UNITS);
}

/**
 * A count in asadm's scientific units (its `Converters.scientific_units`): three decimals and K,
 * M, G, T or P (powers of 1,000), or two spaces below 1,000 (`20.000  `, `1.500 K`).
 */
export function scientific(n: number | undefined): string | undefined {
  if (n === undefined || !Number.isFinite(n)) return undefined;
  return scaled(n, SI_UNITS);
}

/** Python's `round(x, digits)`: to the nearest, a tie to the even last digit. */
export function pyRound(x: number, digits: number): number {
  const f = 10 ** digits;
  const m = x * f;
  const floor = Math.floor(m);
  if (m - floor === 0.5 && floor / f + 0.5 / f === x) return (floor % 2 === 0 ? floor : floor + 1) / f;
  return Number(x.toFixed(digits));
}

/** Python's `str(float)`: shortest round-trip digits, `.0` on whole numbers, exponent past 1e16. */
export function pyFloat(x: number): string {
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : x < 0 ? '-inf' : 'nan';
  const a = Math.abs(x);
  if (a !== 0 && (a >= 1e16 || a < 1e-4)) {
    const [mant, exp] = x.toExponential().split('e') as [string, string];
    const e = Number(exp);
    return `${mant}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
  }
  return Number.isInteger(x) ? `${x}.0` : String(x);
}

/** A percentage as asadm's pct converter prints it: Python's round to 2 places, then ` %`. */
export function pyPct(x: number | undefined): string | undefined {
  return x === undefined || !Number.isFinite(x) ? undefined : `${pyFloat(pyRound(x, 2))} %`;
}

/** Seconds as `HH:MM:SS` (hours may exceed 24, as asadm's uptime column). */
export function hms(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds)) return '--';
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = Math.floor(seconds % 60);
  return `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}`;
}
