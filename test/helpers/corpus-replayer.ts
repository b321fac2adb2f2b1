/**
 * Replays the recorded Aerospike 8.1.2 exchanges (test/fixtures/corpus/*.jsonl; line format and
 * masks in its README.md) against a server and compares each answer with the recorded one.
 *
 * Per scenario: one connection, requests sent in file order, each answer awaited in full (one frame
 * for info and single-record requests; for batch and scan/query requests, frames until a message
 * with LAST, or a non-LAST error message of a scan). Info answers are compared line by line, data
 * answers as the stream of as_msg messages across all frames (frame boundaries and proto type 3 vs 4
 * do not matter), in order or, where the line says `ordered: false`, as a multiset with LAST last.
 * Parts the corpus marks volatile are checked loosely as its README says.
 */
import { connect, type Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { inflateSync } from 'node:zlib';

/** Seconds from the Unix epoch to Aerospike's (2010-01-01), the origin of record void times. */
const CITRUSLEAF_EPOCH_SEC = 1_262_304_000;
/** How far a replayed remaining TTL may be from the recorded one (README: within 10 s). */
const TTL_SLACK_SEC = 10;
/** How long to wait for a complete answer. */
const ANSWER_TIMEOUT_MS = 5000;
/** How long to wait when the recording got no answer (no `wait_ms` given). */
const NO_ANSWER_WAIT_MS = 1500;
/** How long to keep listening for the server closing the connection after an answer. */
const CLOSE_LINGER_MS = 300;
/** How many times `sets/<ns>/<set>` is polled for objects=0 after a reset truncate (50 ms apart). */
const RESET_POLLS = 100;

/** A recorded volatile mask (README "Volatile descriptors"). */
interface Mask {
  what: string;
  frame?: number | '*';
  msg?: number | '*';
  op?: number | '*';
  name?: string;
  type?: number;
  cmd?: string;
  contains?: string[];
  any_type?: boolean;
}

/** One line of a corpus file. */
export interface CorpusLine {
  scenario: string;
  step: number;
  desc: string;
  request: string;
  responses: string[];
  closed?: boolean;
  ordered?: boolean;
  volatile?: Mask[];
  pause_ms?: number;
  at?: number;
  fresh?: boolean;
  wait_ms?: number;
}

/** One step whose answer differed from the recording. */
export interface Mismatch {
  /** `scenario#step`, as the tests' known-gap lists name steps */
  id: string;
  desc: string;
  /** 'mismatch': the answer differs; 'closed-mismatch': the answer matched, the connection did or did not close */
  status: 'mismatch' | 'closed-mismatch';
  why: string;
}

/** What replaying one corpus file gave. */
export interface ReplayReport {
  matched: number;
  mismatches: Mismatch[];
}

/** Reads a corpus file's lines. */
export function readCorpusLines(file: string): CorpusLine[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as CorpusLine);
}

// ------------------------------------------------------------------------------------------ wire

function splitFrames(buf: Buffer): { frames: Buffer[]; rest: number } {
  const frames: Buffer[] = [];
  let p = 0;
  while (buf.length - p >= 8) {
    const len = buf.readUIntBE(p + 2, 6);
    if (buf.length - p < 8 + len) break;
    frames.push(buf.subarray(p, p + 8 + len));
    p += 8 + len;
  }
  return { frames, rest: buf.length - p };
}

/** The as_msg bytes of a type 3 (message) or type 4 (compressed message) frame; null for others. */
function messageBody(frame: Buffer): Buffer | null {
  if (frame[1] === 3) return frame.subarray(8);
  if (frame[1] === 4) return inflateSync(frame.subarray(16)).subarray(8);
  return null;
}

interface Op { op: number; ptype: number; flags: number; name: string; value: string }
interface Msg {
  bad?: string;
  hsz: number; info1: number; info2: number; info3: number; info4: number; result: number;
  generation: number; recordTtl: number; txnTtl: number; nFields: number; nOps: number;
  fields: { type: number; data: string }[];
  ops: Op[];
}
const HEADER_KEYS = ['hsz', 'info1', 'info2', 'info3', 'info4', 'result', 'generation', 'txnTtl', 'nFields', 'nOps'] as const;

function badMsg(bad: string): Msg {
  return { bad, hsz: 0, info1: 0, info2: 0, info3: 0, info4: 0, result: 0, generation: 0, recordTtl: 0, txnTtl: 0, nFields: 0, nOps: 0, fields: [], ops: [] };
}

function parseMessages(body: Buffer): Msg[] {
  const msgs: Msg[] = [];
  let p = 0;
  while (p < body.length) {
    if (body.length - p < 22) {
      msgs.push(badMsg('short header'));
      break;
    }
    const m: Msg = {
      hsz: body[p]!, info1: body[p + 1]!, info2: body[p + 2]!, info3: body[p + 3]!, info4: body[p + 4]!, result: body[p + 5]!,
      generation: body.readUInt32BE(p + 6), recordTtl: body.readUInt32BE(p + 10), txnTtl: body.readUInt32BE(p + 14),
      nFields: body.readUInt16BE(p + 18), nOps: body.readUInt16BE(p + 20), fields: [], ops: [],
    };
    let q = p + Math.max(m.hsz, 22);
    for (let i = 0; i < m.nFields; i++) {
      const size = q + 5 <= body.length ? body.readUInt32BE(q) : 0;
      if (size < 1 || q + 4 + size > body.length) {
        m.bad = 'field past end';
        break;
      }
      m.fields.push({ type: body[q + 4]!, data: body.subarray(q + 5, q + 4 + size).toString('hex') });
      q += 4 + size;
    }
    for (let i = 0; m.bad === undefined && i < m.nOps; i++) {
      if (q + 8 > body.length) {
        m.bad = 'op past end';
        break;
      }
      const size = body.readUInt32BE(q);
      const nameLen = body[q + 7]!;
      if (size < 4 + nameLen || q + 4 + size > body.length) {
        m.bad = 'op past end';
        break;
      }
      m.ops.push({
        op: body[q + 4]!, ptype: body[q + 5]!, flags: body[q + 6]!,
        name: body.subarray(q + 8, q + 8 + nameLen).toString('hex'),
        value: body.subarray(q + 8 + nameLen, q + 4 + size).toString('hex'),
      });
      q += 4 + size;
    }
    msgs.push(m);
    if (m.bad !== undefined) break;
    p = q;
  }
  return msgs;
}

/** A message of an answer with the frame and position it came in (what masks select). */
interface Placed { fi: number; mi: number; m: Msg }

function flatten(frames: Buffer[]): Placed[] {
  const out: Placed[] = [];
  frames.forEach((frame, fi) => {
    let body: Buffer | null;
    try {
      body = messageBody(frame);
    } catch {
      out.push({ fi, mi: 0, m: badMsg('bad compressed frame') });
      return;
    }
    if (body === null) out.push({ fi, mi: 0, m: badMsg(`proto type ${frame[1]}`) });
    else parseMessages(body).forEach((m, mi) => out.push({ fi, mi, m }));
  });
  return out;
}

type RequestKind = 'info' | 'admin' | 'other' | 'single' | 'batch' | 'query';

function requestKind(frame: Buffer): RequestKind {
  if (frame.length < 8 || frame[0] !== 2) return 'other';
  if (frame[1] === 1) return 'info';
  if (frame[1] === 2) return 'admin';
  if (frame[1] !== 3 && frame[1] !== 4) return 'other';
  let body: Buffer | null;
  try {
    body = messageBody(frame);
  } catch {
    return 'single';
  }
  if (body === null || body.length < 22) return 'single';
  const m = parseMessages(body)[0]!;
  if (m.info1 & 0x08) return 'batch';
  if (m.bad !== undefined) return 'single';
  return m.fields.some((f) => f.type === 4) ? 'single' : 'query'; // no digest field: a scan or query
}

function answerComplete(kind: RequestKind, frames: Buffer[]): boolean {
  if (frames.length === 0) return false;
  if (kind !== 'batch' && kind !== 'query') return true;
  const last = frames[frames.length - 1]!;
  if (last[1] !== 3 && last[1] !== 4) return true;
  let msgs: Msg[];
  try {
    msgs = parseMessages(messageBody(last)!);
  } catch {
    return true;
  }
  return msgs.some((m) => m.bad !== undefined || (m.info3 & 0x01) !== 0 || (kind === 'query' && m.result !== 0 && (m.info3 & 0x04) === 0));
}

/**
 * A scan or query carries a client-chosen job id (TRID, field 7); Aerospike refuses a job id it still
 * remembers, so each replay sends a fresh one (answers do not carry it).
 */
function withFreshTrid(req: Buffer): Buffer {
  if (req.length < 30 || req[1] !== 3 || requestKind(req) !== 'query') return req;
  const nFields = req.readUInt16BE(8 + 18);
  let q = 8 + req[8]!;
  for (let i = 0; i < nFields && q + 5 <= req.length; i++) {
    const size = req.readUInt32BE(q);
    if (req[q + 4] === 7 && size === 9 && q + 4 + size <= req.length) {
      const out = Buffer.from(req);
      randomBytes(8).copy(out, q + 5);
      return out;
    }
    q += 4 + size;
  }
  return req;
}

// ------------------------------------------------------------------------------------------ connection

export interface Answer { frames: Buffer[]; closed: boolean; rest: number; error?: string }

/** One client connection of a replay. */
export interface ReplayConnection {
  readonly closed: boolean;
  /**
   * Sends `req` and gathers its complete answer (or, with `waitMs`, whatever comes within it when the
   * recording got no answer); with `lingerMs`, then watches that long whether the node closes the
   * connection.
   */
  exchange(req: Buffer, waitMs: number, lingerMs: number): Promise<Answer>;
  close(): void;
}

/**
 * The node a replay runs against: a real process's port (`portTarget`) or a node in the test's
 * process (test/helpers/in-process.ts `corpusTarget`), where a recorded pause moves the node's clock
 * instead of waiting.
 */
export interface ReplayTarget {
  connect(): ReplayConnection;
  /** the recording paused `ms` before a step: a TTL passing, an index populating, a job finishing */
  pause(ms: number): Promise<void>;
  /** the node's time, seconds since the Unix epoch (a remaining TTL is judged against it) */
  nowSec(): number;
}

/** A node listening on 127.0.0.1:`port`; pauses are real waits (the process's clock runs on its own). */
export function portTarget(port: number): ReplayTarget {
  return {
    connect: () => new Connection(port),
    pause: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    nowSec: () => Math.round(Date.now() / 1000),
  };
}

/** Splits what a node wrote into whole frames and the bytes after them. */
export function answerOf(received: Buffer, closed: boolean): Answer {
  const { frames, rest } = splitFrames(received);
  return { frames, closed, rest };
}

/** One client connection that sends a request and collects its answer frames. */
class Connection implements ReplayConnection {
  private socket: Socket | null = null;
  private buf = Buffer.alloc(0);
  private wake: (() => void) | null = null;
  closed = true;

  constructor(private readonly port: number) {}

  open(): Promise<void> {
    return new Promise((resolve, reject) => {
      const socket = connect(this.port, '127.0.0.1', () => {
        socket.removeListener('error', reject);
        resolve();
      });
      socket.once('error', reject);
      socket.on('error', () => {}); // a reset shows as `closed`
      socket.setNoDelay(true);
      socket.on('data', (d: Buffer) => {
        this.buf = Buffer.concat([this.buf, d]);
        this.poke();
      });
      socket.on('close', () => {
        this.closed = true;
        this.poke();
      });
      this.socket = socket;
      this.closed = false;
      this.buf = Buffer.alloc(0);
    });
  }

  private poke(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }

  private wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wake = null;
        resolve();
      }, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  /**
   * Sends `req` and waits for its complete answer, or `waitMs` when no answer is expected; then, with
   * `lingerMs`, keeps listening that long to see whether the server closes the connection.
   */
  async exchange(req: Buffer, waitMs: number, lingerMs: number): Promise<Answer> {
    if (this.closed) await this.open();
    this.buf = Buffer.alloc(0);
    const kind = requestKind(req);
    this.socket!.write(req);
    const deadline = Date.now() + (waitMs || ANSWER_TIMEOUT_MS);
    for (;;) {
      if (waitMs === 0 && answerComplete(kind, splitFrames(this.buf).frames)) break;
      if (this.closed) break;
      const left = deadline - Date.now();
      if (left <= 0) break;
      await this.wait(left);
    }
    if (lingerMs > 0) {
      const end = Date.now() + lingerMs;
      while (!this.closed && Date.now() < end) await this.wait(end - Date.now());
    }
    const { frames, rest } = splitFrames(this.buf);
    return { frames, closed: this.closed, rest };
  }

  close(): void {
    this.socket?.destroy();
    this.closed = true;
  }
}

// ------------------------------------------------------------------------------------------ compare

function isInfoError(value: string): boolean {
  return /^(ERROR|FAIL):?|^error=/i.test(value) || /\terror=/.test(value);
}

function infoLines(frame: Buffer): { cmd: string; value: string | null }[] {
  const lines = frame.subarray(8).toString('latin1').split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines.map((l) => {
    const tab = l.indexOf('\t');
    return tab < 0 ? { cmd: l, value: null } : { cmd: l.slice(0, tab), value: l.slice(tab + 1) };
  });
}

const show = (v: unknown, n = 200): string => JSON.stringify(String(v).slice(0, n));

function compareInfo(expected: Buffer[], actual: Buffer[], masks: Mask[]): string | null {
  if (actual.length !== 1) return `expected 1 info frame, got ${actual.length}`;
  if (actual[0]![0] !== 2 || actual[0]![1] !== 1) return `expected an info frame (2/1), got version ${actual[0]![0]} type ${actual[0]![1]}`;
  const e = infoLines(expected[0]!);
  const a = infoLines(actual[0]!);
  if (e.length !== a.length) return `expected ${e.length} info line(s), got ${a.length}: ${show(actual[0]!.subarray(8).toString('latin1'))}`;
  for (let i = 0; i < e.length; i++) {
    const [el, al] = [e[i]!, a[i]!];
    if (el.cmd !== al.cmd) return `info line ${i}: expected name ${show(el.cmd)}, got ${show(al.cmd)}`;
    const mask = masks.find((d) => d.what === 'info_value' && d.cmd === el.cmd);
    if (mask !== undefined) {
      if ((el.value === null) !== (al.value === null)) return `info ${el.cmd}: presence of a value differs`;
      if (el.value !== null && isInfoError(el.value) !== isInfoError(al.value!)) {
        return `info ${el.cmd}: expected ${isInfoError(el.value) ? 'an error' : 'a non-error'} value, got ${show(al.value, 160)}`;
      }
      for (const s of mask.contains ?? []) if (!String(al.value).includes(s)) return `info ${el.cmd}: value lacks ${show(s)}: ${show(al.value, 160)}`;
    } else if (el.value !== al.value) {
      return `info ${el.cmd}: expected ${show(el.value)}, got ${show(al.value)}`;
    }
  }
  return null;
}

function selects(mask: Mask, fi: number, mi: number): boolean {
  return (mask.frame === undefined || mask.frame === '*' || mask.frame === fi) && (mask.msg === undefined || mask.msg === '*' || mask.msg === mi);
}

const binName = (hex: string): string => JSON.stringify(Buffer.from(hex, 'hex').toString('utf8'));

/** Compares one recorded message with one replayed message under the masks that select the recorded one. */
function compareMessage(e: Msg, a: Msg, masks: Mask[], at: number | undefined, nowSec: number): string | null {
  if (e.bad !== undefined || a.bad !== undefined) {
    return e.bad !== undefined && a.bad !== undefined ? null : `message malformed: expected ${e.bad ?? 'well-formed'}, got ${a.bad ?? 'well-formed'}`;
  }
  for (const k of HEADER_KEYS) {
    if (masks.some((d) => d.what === k)) continue;
    if (e[k] !== a[k]) return `${k}: expected ${e[k]}, got ${a[k]}`;
  }
  if (masks.some((d) => d.what === 'record_ttl') && e.recordTtl !== 0) {
    if (a.recordTtl === 0) return 'record_ttl: expected a void time (non-zero), got 0';
    if (at !== undefined) {
      const expectedLeft = e.recordTtl - (at - CITRUSLEAF_EPOCH_SEC);
      const actualLeft = a.recordTtl - (nowSec - CITRUSLEAF_EPOCH_SEC);
      if (Math.abs(expectedLeft - actualLeft) > TTL_SLACK_SEC) return `record_ttl: expected about ${expectedLeft} s left, got ${actualLeft} s`;
    }
  } else if (e.recordTtl !== a.recordTtl) {
    return `record_ttl: expected ${e.recordTtl}, got ${a.recordTtl}`;
  }
  for (let i = 0; i < e.fields.length; i++) {
    const [ef, af] = [e.fields[i]!, a.fields[i]!];
    if (ef.type !== af.type) return `field ${i}: expected type ${ef.type}, got ${af.type}`;
    if (masks.some((d) => d.what === 'field_value' && d.type === ef.type)) continue;
    if (ef.data !== af.data) return `field ${i} (type ${ef.type}): expected ${ef.data.slice(0, 80)}, got ${af.data.slice(0, 80)}`;
  }
  for (let i = 0; i < e.ops.length; i++) {
    const [eo, ao] = [e.ops[i]!, a.ops[i]!];
    const name = binName(eo.name);
    if (eo.name !== ao.name) return `op ${i}: expected bin name ${name}, got ${binName(ao.name)}`;
    if (eo.op !== ao.op) return `op ${i} (${name}): expected op type ${eo.op}, got ${ao.op}`;
    if (eo.flags !== ao.flags) return `op ${i} (${name}): expected flags ${eo.flags}, got ${ao.flags}`;
    const valueMasks = masks.filter(
      (d) => d.what === 'op_value' && (d.op === undefined || d.op === '*' || d.op === i) && (d.name === undefined || Buffer.from(d.name, 'utf8').toString('hex') === eo.name),
    );
    if (eo.ptype !== ao.ptype && !valueMasks.some((d) => d.any_type)) return `op ${i} (${name}): expected particle type ${eo.ptype}, got ${ao.ptype}`;
    if (valueMasks.length === 0 && eo.value !== ao.value) return `op ${i} (${name}): expected value ${eo.value.slice(0, 120)}, got ${ao.value.slice(0, 120)}`;
  }
  return null;
}

function compareMessages(expected: Buffer[], actual: Buffer[], line: CorpusLine, nowSec: number): string | null {
  for (const f of actual) if (f[0] !== 2 || (f[1] !== 3 && f[1] !== 4)) return `expected message frames (type 3/4), got version ${f[0]} type ${f[1]}`;
  const E = flatten(expected);
  const A = flatten(actual);
  const masks = line.volatile ?? [];
  const masksOf = (p: Placed): Mask[] => masks.filter((d) => d.what !== 'info_value' && selects(d, p.fi, p.mi));
  const cmp = (e: Placed, a: Placed): string | null => compareMessage(e.m, a.m, masksOf(e), line.at, nowSec);
  if (masks.some((d) => d.what === 'record_count')) {
    const isControl = (p: Placed): boolean => p.m.bad !== undefined || (p.m.info3 & 0x05) !== 0;
    const [er, ar] = [E.filter((p) => !isControl(p)).length, A.filter((p) => !isControl(p)).length];
    if (er !== ar) return `expected ${er} record message(s), got ${ar}`;
    const [ec, ac] = [E.filter(isControl), A.filter(isControl)];
    if (ec.length !== ac.length) return `expected ${ec.length} control message(s), got ${ac.length}`;
    for (let i = 0; i < ec.length; i++) {
      const why = cmp(ec[i]!, ac[i]!);
      if (why !== null) return `control message ${i}: ${why}`;
    }
    return null;
  }
  if (E.length !== A.length) {
    const sum = (xs: Placed[]): string => xs.slice(0, 12).map((x) => (x.m.bad !== undefined ? 'bad' : `${x.m.result}${x.m.info3 & 1 ? 'L' : ''}`)).join(',');
    return `expected ${E.length} message(s) [${sum(E)}], got ${A.length} [${sum(A)}]`;
  }
  if (line.ordered !== false) {
    for (let i = 0; i < E.length; i++) {
      const why = cmp(E[i]!, A[i]!);
      if (why !== null) return E.length > 1 ? `message ${i}: ${why}` : why;
    }
    return null;
  }
  // Unordered: records match as a multiset; the final LAST message keeps its place at the end.
  const used = new Array<boolean>(A.length).fill(false);
  for (let i = 0; i < E.length; i++) {
    const e = E[i]!;
    if (i === E.length - 1 && e.m.bad === undefined && (e.m.info3 & 0x01) !== 0) {
      const why = cmp(e, A[A.length - 1]!);
      if (why !== null) return `last message: ${why}`;
      used[A.length - 1] = true;
      continue;
    }
    let firstWhy: string | null = null;
    const found = A.findIndex((a, j) => {
      if (used[j]) return false;
      const why = cmp(e, a);
      firstWhy ??= why;
      return why === null;
    });
    if (found < 0) return `no answer message matches expected message ${i} (result ${e.m.result}, gen ${e.m.generation}, ${e.m.nOps} op(s))${firstWhy !== null ? `; e.g. ${firstWhy}` : ''}`;
    used[found] = true;
  }
  return null;
}

/** Why `answer` differs from what `line` recorded, or null when it matches. */
function judge(line: CorpusLine, answer: Answer, nowSec: number): Pick<Mismatch, 'status' | 'why'> | null {
  const expected = line.responses.map((h) => Buffer.from(h, 'hex'));
  const actual = answer.frames;
  let why: string | null = null;
  if (expected.length === 0) {
    if (actual.length > 0) why = `expected no answer, got ${actual.length} frame(s)`;
  } else if (actual.length === 0) {
    why = answer.closed ? 'connection closed without an answer' : 'no answer (timeout)';
  } else if (expected[0]![1] === 1) {
    why = compareInfo(expected, actual, line.volatile ?? []);
  } else if (expected[0]![1] === 3 || expected[0]![1] === 4) {
    why = compareMessages(expected, actual, line, nowSec);
  } else {
    const [e, a] = [Buffer.concat(expected).toString('hex'), Buffer.concat(actual).toString('hex')];
    if (e !== a) why = `expected ${e.slice(0, 120)}, got ${a.slice(0, 120)}`;
  }
  if (why === null && answer.rest > 0) why = `${answer.rest} trailing byte(s) that do not form a frame`;
  if (why !== null) return { status: 'mismatch', why: answer.error !== undefined ? `${why} (${answer.error})` : why };
  if ((line.closed === true) !== answer.closed) {
    return {
      status: 'closed-mismatch',
      why: line.closed === true ? 'expected the server to close the connection; it stayed open' : 'the server closed the connection; it was expected to stay open',
    };
  }
  return null;
}

// ------------------------------------------------------------------------------------------ reset

function infoFrame(text: string): Buffer {
  const body = Buffer.from(text, 'latin1');
  const header = Buffer.alloc(8);
  header[0] = 2;
  header[1] = 1;
  header.writeUIntBE(body.length, 2, 6);
  return Buffer.concat([header, body]);
}

async function info(conn: ReplayConnection, command: string): Promise<string> {
  const answer = await conn.exchange(infoFrame(`${command}\n`), 0, 0);
  return answer.frames.length > 0 ? (infoLines(answer.frames[0]!)[0]?.value ?? '') : '';
}

/** The sets a scenario's requests name, and the secondary indexes and UDF modules it creates. */
function resourcesOf(lines: CorpusLine[]): { sets: [string, string][]; sindexes: [string, string][]; udfs: string[] } {
  const sets = new Set<string>();
  const sindexes = new Set<string>();
  const udfs = new Set<string>();
  const addSet = (ns: string | undefined, set: string | undefined): void => {
    if (ns && set && ns.length < 32 && set.length < 64) sets.add(`${ns}:${set}`);
  };
  for (const line of lines) {
    const req = Buffer.from(line.request, 'hex');
    if (req.length < 8 || req[0] !== 2) continue;
    if (req[1] === 1) {
      for (const cmd of req.subarray(8).toString('latin1').split('\n')) {
        const kv: Record<string, string> = {};
        for (const m of cmd.matchAll(/[:;]([a-z-]+)=([^;]*)/g)) kv[m[1]!] = m[2]!;
        const ns = kv['namespace'] ?? kv['ns'];
        const index = kv['indexname'] ?? kv['name'];
        if (cmd.startsWith('sindex-create') && ns && index) sindexes.add(`${ns}:${index}`);
        if (cmd.startsWith('udf-put') && kv['filename']) udfs.add(kv['filename']);
        if (cmd.startsWith('truncate')) addSet(ns, kv['set']);
      }
      continue;
    }
    let body: Buffer | null;
    try {
      body = messageBody(req);
    } catch {
      continue;
    }
    if (body === null || body.length < 22) continue;
    const m = parseMessages(body)[0]!;
    if (m.bad !== undefined) continue;
    const text = (type: number): string | undefined => {
      const f = m.fields.find((x) => x.type === type);
      return f === undefined ? undefined : Buffer.from(f.data, 'hex').toString('utf8');
    };
    addSet(text(0), text(1));
    const batch = m.fields.find((x) => x.type === 41);
    if (batch !== undefined) batchSets(Buffer.from(batch.data, 'hex'), addSet);
  }
  const pairs = (s: Set<string>): [string, string][] => [...s].map((x) => x.split(':') as [string, string]);
  return { sets: pairs(sets), sindexes: pairs(sindexes), udfs: [...udfs] };
}

/** The namespace and set of each row of a batch-index field (best effort: stops at a malformed row). */
function batchSets(b: Buffer, add: (ns: string | undefined, set: string | undefined) => void): void {
  try {
    const rows = b.readUInt32BE(0);
    let p = 5;
    for (let i = 0; i < rows && i < 10_000 && p < b.length; i++) {
      p += 24; // index + digest
      const flags = b[p++]!;
      if (flags & 0x01) continue; // repeat of the previous row
      p += 1;
      if (flags & 0x02) p += 2;
      if (flags & 0x10) p += 1;
      if (flags & 0x04) p += 2;
      if (flags & 0x08) p += 4;
      const nFields = b.readUInt16BE(p);
      const nOps = b.readUInt16BE(p + 2);
      p += 4;
      let ns: string | undefined;
      let set: string | undefined;
      for (let j = 0; j < nFields; j++) {
        const size = b.readUInt32BE(p);
        const data = b.subarray(p + 5, p + 4 + size).toString('utf8');
        if (b[p + 4] === 0) ns = data;
        if (b[p + 4] === 1) set = data;
        p += 4 + size;
      }
      for (let j = 0; j < nOps; j++) p += 4 + b.readUInt32BE(p);
      add(ns, set);
    }
  } catch {
    // a hand-built malformed batch: the rows read so far are enough
  }
}

/** Empties what a scenario uses (its sets, indexes, modules) so a server can be replayed more than once. */
async function reset(target: ReplayTarget, lines: CorpusLine[]): Promise<void> {
  const { sets, sindexes, udfs } = resourcesOf(lines);
  const conn = target.connect();
  try {
    for (const [ns, set] of sets) await info(conn, `truncate:namespace=${ns};set=${set}`);
    for (const [ns, set] of sets) {
      for (let i = 0; i < RESET_POLLS; i++) {
        const m = /objects=(\d+)/.exec(await info(conn, `sets/${ns}/${set}`));
        if (m === null || m[1] === '0') break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    for (const [ns, name] of sindexes) await info(conn, `sindex-delete:namespace=${ns};indexname=${name}`);
    for (const udf of udfs) await info(conn, `udf-remove:filename=${udf}`);
  } finally {
    conn.close();
  }
}

// ------------------------------------------------------------------------------------------ replay

/**
 * Replays every scenario of a corpus file against the node on 127.0.0.1:`port`, each after a reset
 * of what it uses. `pause_ms` waits are kept: they are part of what was recorded (a TTL passing, a
 * background job finishing).
 */
export async function replayCorpusFile(node: number | ReplayTarget, file: string): Promise<ReplayReport> {
  const target = typeof node === 'number' ? portTarget(node) : node;
  const scenarios: CorpusLine[][] = [];
  for (const line of readCorpusLines(file)) {
    const last = scenarios[scenarios.length - 1];
    if (last !== undefined && last[0]!.scenario === line.scenario) last.push(line);
    else scenarios.push([line]);
  }
  const report: ReplayReport = { matched: 0, mismatches: [] };
  for (const lines of scenarios) {
    await reset(target, lines);
    let conn = target.connect();
    try {
      for (const line of lines) {
        if (line.pause_ms) await target.pause(line.pause_ms);
        const req = withFreshTrid(Buffer.from(line.request, 'hex'));
        const waitMs = line.responses.length > 0 ? 0 : (line.wait_ms ?? NO_ANSWER_WAIT_MS);
        let answer: Answer;
        try {
          if (line.fresh === true) {
            const fresh = target.connect();
            try {
              answer = await fresh.exchange(req, waitMs, CLOSE_LINGER_MS);
            } finally {
              fresh.close();
            }
          } else {
            if (conn.closed) conn = target.connect();
            answer = await conn.exchange(req, waitMs, line.closed === true ? CLOSE_LINGER_MS : 0);
          }
        } catch (err) {
          answer = { frames: [], closed: true, rest: 0, error: (err as Error).message };
        }
        const verdict = judge(line, answer, target.nowSec());
        if (verdict === null) report.matched++;
        else report.mismatches.push({ id: `${line.scenario}#${line.step}`, desc: line.desc, ...verdict });
      }
    } finally {
      conn.close();
    }
  }
  return report;
}
