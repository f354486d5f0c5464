// Questions about the VM-exit log (time/exitLog.ts), as the Debug Console and the timeline view ask
// them: `exits reason=CPUID from=1000 to=2e6 vcpu=0 limit=20`. Keys may come in any order; reason
// takes an SDM Appendix C name (KVM's spelling, with or without EXIT_REASON_) or number; from / to
// are instruction counts (inclusive); limit is how many records to list (default 20). The answer
// counts every match in recorded history (also the part after the current moment, when travelling)
// and lists the first `limit` of them; exits thinned under the history budget (the oldest, only when
// the compressed log outgrows it) are reported as such. Also: a compact series for drawing (bins per vCPU and reason).
import { exitReasonByName, exitReasonName } from '../hw/vmx/exitReasons';
import type { ExitLog } from './exitLog';

export interface ExitQuery { reason?: number; vcpu?: number; from: number; to: number; limit: number; }
export interface ExitRecord { seq: number; icount: number; vcpu: number; reason: number; reasonName: string; qualification: number; rip: number; }
export interface ExitQueryResult {
  query: ExitQuery;
  count: number;
  byReason: { reason: number; reasonName: string; count: number }[];
  records: ExitRecord[];
  /** Records older than the log keeps (its limit) are not searched. */
  oldestKept: number;
  /** Exits in the queried range that were thinned under the history budget (not searched), and up to which icount. */
  thinned: number;
  thinnedThrough: number;
}

export class ExitQueryError extends Error { override name = 'EvaluateError'; }

function num(key: string, v: string): number {
  const n = Number(v.replace(/_/g, ''));
  if (!Number.isFinite(n) || n < 0) throw new ExitQueryError(`exits: ${key}=${v} is not a number`);
  return Math.floor(n);
}

/** Parses the text after `exits`. */
export function parseExitQuery(text: string): ExitQuery {
  const q: ExitQuery = { from: 0, to: Number.MAX_SAFE_INTEGER, limit: 20 };
  for (const part of text.trim().split(/\s+/).filter(Boolean)) {
    const m = /^([a-z]+)=(.+)$/i.exec(part);
    if (!m) throw new ExitQueryError(`exits: expected key=value (reason=, vcpu=, from=, to=, limit=), got "${part}"`);
    const key = m[1].toLowerCase(), v = m[2];
    if (key === 'reason') {
      const r = /^\d+$/.test(v) ? Number(v) : exitReasonByName(v);
      if (r === undefined) throw new ExitQueryError(`exits: unknown exit reason "${v}" (an SDM name such as CPUID, IO_INSTRUCTION, EPT_VIOLATION, or a number)`);
      q.reason = r;
    } else if (key === 'vcpu') q.vcpu = num(key, v);
    else if (key === 'from') q.from = num(key, v);
    else if (key === 'to') q.to = num(key, v);
    else if (key === 'limit') q.limit = Math.min(10_000, num(key, v));
    else throw new ExitQueryError(`exits: unknown key "${key}" (reason=, vcpu=, from=, to=, limit=)`);
  }
  if (q.from > q.to) throw new ExitQueryError(`exits: from=${q.from} is after to=${q.to}`);
  return q;
}

/** First index k in [0, log.length) with icount >= n (the log is in icount order). */
function lowerBound(log: ExitLog, n: number): number { return log.lowerBound(n); }

export function runExitQuery(log: ExitLog, q: ExitQuery): ExitQueryResult {
  const counts = new Map<number, number>();
  const records: ExitRecord[] = [];
  let count = 0;
  const first = log.total - log.length;
  for (let k = lowerBound(log, q.from), n = log.length; k < n; k++) {
    if (log.icountAt(k) > q.to) break;
    const reason = log.reasonAt(k);
    if (q.reason !== undefined && reason !== q.reason) continue;
    if (q.vcpu !== undefined && log.vcpuAt(k) !== q.vcpu) continue;
    count++;
    counts.set(reason, (counts.get(reason) ?? 0) + 1);
    if (records.length < q.limit) records.push({ seq: first + k, ...log.at(k), reasonName: exitReasonName(reason) });
  }
  const byReason = [...counts].map(([reason, n]) => ({ reason, reasonName: exitReasonName(reason), count: n })).sort((a, b) => b.count - a.count);
  const thinned = log.thinned > 0 && q.from <= log.thinnedThrough ? log.thinned : 0;
  return { query: q, count, byReason, records, oldestKept: log.length ? log.icountAt(0) : 0, thinned, thinnedThrough: log.thinnedThrough };
}

const hex = (n: number, w = 8): string => '0x' + (n >>> 0).toString(16).padStart(w, '0');

/** The answer as Debug Console text. */
export function exitQueryText(r: ExitQueryResult): string {
  const q = r.query;
  const range = `${q.from}..${q.to === Number.MAX_SAFE_INTEGER ? 'end' : q.to}`;
  const what = `${q.reason !== undefined ? exitReasonName(q.reason) + ' ' : ''}exits${q.vcpu !== undefined ? ` on vcpu${q.vcpu}` : ''}`;
  const lines = [`${r.count.toLocaleString('en-US')} ${what} in instructions ${range}` +
    (r.byReason.length > 1 ? `: ${r.byReason.map((b) => `${b.reasonName} ${b.count}`).join(', ')}` : '')];
  for (const e of r.records) lines.push(`  icount ${e.icount.toLocaleString('en-US').padStart(13)}  vcpu${e.vcpu}  ${e.reasonName.padEnd(18)} qual ${hex(e.qualification)}  rip ${hex(e.rip)}`);
  if (r.count > r.records.length) lines.push(`  … ${r.count - r.records.length} more (limit=${q.limit}; narrow with from= / to=)`);
  if (r.thinned) lines.push(`  (${r.thinned.toLocaleString('en-US')} older exits, up to instruction ${r.thinnedThrough.toLocaleString('en-US')}, were thinned under the history budget: not searched; the counts per reason in the statistics stay exact)`);
  return lines.join('\n');
}

/** Exits in `bins` equal slices of [from, to), per vCPU and reason: [vcpu][reason] -> counts per bin. */
export interface ExitSeries { from: number; to: number; bins: number; lanes: { vcpu: number; reason: number; reasonName: string; counts: number[] }[]; total: number; }

export function exitSeries(log: ExitLog, from: number, to: number, bins: number): ExitSeries {
  const span = Math.max(1, to - from);
  const lanes = new Map<string, { vcpu: number; reason: number; reasonName: string; counts: number[] }>();
  let total = 0;
  for (let k = lowerBound(log, from); k < log.length; k++) {
    const ic = log.icountAt(k);
    if (ic >= to) break;
    const vcpu = log.vcpuAt(k), reason = log.reasonAt(k);
    const key = `${vcpu}:${reason}`;
    let lane = lanes.get(key);
    if (!lane) { lane = { vcpu, reason, reasonName: exitReasonName(reason), counts: new Array<number>(bins).fill(0) }; lanes.set(key, lane); }
    lane.counts[Math.min(bins - 1, Math.floor(((ic - from) * bins) / span))]++;
    total++;
  }
  return { from, to, bins, lanes: [...lanes.values()].sort((a, b) => a.vcpu - b.vcpu || a.reason - b.reason), total };
}
