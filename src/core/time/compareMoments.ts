// Compare two moments (issue 7): what differs between instruction count `then` of recorded history and
// the current state: registers and VMCS fields per vCPU (SDM names), device state, host memory pages
// (with the guest-physical address where a memslot backs them), the guest's page-table mappings per
// vCPU and the EPT mappings (added, removed, changed: a permission or target change). The other moment
// is visited with Timeline.peek, which comes back to the current state exactly.
import type { Vm } from '../machine/vm';
import type { GroupView } from '../debug/debugApi';
import type { TreeNode } from '../debug/treeNode';
import { pageTablesView } from '../debug/pageTablesView';
import { eptView } from '../debug/eptView';
import { translateSourceOf } from '../debug/vmTranslateSource';
import { PAGE_SIZE } from '../hw/physMem';

export interface FieldChange { vcpu?: number; group: string; name: string; then: string; now: string; }
export interface PageChange { hpa: number; gpa?: number; bytesChanged: number; firstOffset: number; }
export interface MappingChange { vcpu?: number; entry: string; kind: 'added' | 'removed' | 'changed'; then?: string; now?: string; }

export interface MomentDiff {
  then: number;
  now: number;
  registers: FieldChange[];
  vmcs: FieldChange[];
  devices: FieldChange[];
  memory: PageChange[];
  /** Pages in all that differ (the list may be cut at `limit`). */
  memoryPages: number;
  guestMappings: MappingChange[];
  eptMappings: MappingChange[];
}

interface Capture {
  icount: number;
  registers: GroupView[][];
  vmcs: GroupView[][];
  devices: GroupView[];
  mem: Int32Array | null;
  guestMaps: Map<string, string>[];
  eptMaps: Map<string, string>;
}

/** Leaves of a lazily expanded tree, keyed by the names on their path (at most `max`). */
function leaves(nodes: TreeNode[], max = 200_000): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (ns: TreeNode[], prefix: string): void => {
    for (const n of ns) {
      if (out.size >= max) return;
      const key = prefix ? `${prefix} / ${n.name}` : n.name;
      const kids = n.children?.();
      if (kids && kids.length) walk(kids, key);
      else out.set(key, n.value);
    }
  };
  walk(nodes, '');
  return out;
}

function capture(vm: Vm, withMemory: boolean): Capture {
  const n = vm.vcpuCount;
  const vcpus = Array.from({ length: n }, (_, k) => k);
  return {
    icount: vm.icount,
    registers: vcpus.map((v) => vm.registers(v)),
    vmcs: vcpus.map((v) => vm.vmcs(v)),
    devices: vm.devices(),
    mem: withMemory ? vm.vmm.host.i32.slice() : null,
    guestMaps: vcpus.map((v) => leaves(pageTablesView(translateSourceOf(vm.vmm, v)))),
    eptMaps: vm.vmm.shadow ? new Map() : leaves(eptView(translateSourceOf(vm.vmm, 0))),
  };
}

function fields(a: GroupView[], b: GroupView[], vcpu?: number): FieldChange[] {
  const out: FieldChange[] = [];
  const before = new Map<string, string>();
  for (const g of a) for (const f of g.fields) before.set(`${g.name}\u0000${f.name}`, f.text);
  for (const g of b) {
    for (const f of g.fields) {
      const then = before.get(`${g.name}\u0000${f.name}`);
      if (then !== undefined && then !== f.text) out.push({ ...(vcpu !== undefined ? { vcpu } : {}), group: g.name, name: f.name, then, now: f.text });
    }
  }
  return out;
}

function mappings(a: Map<string, string>, b: Map<string, string>, vcpu?: number): MappingChange[] {
  const out: MappingChange[] = [];
  const v = vcpu !== undefined ? { vcpu } : {};
  for (const [k, then] of a) {
    const now = b.get(k);
    if (now === undefined) out.push({ ...v, entry: k, kind: 'removed', then });
    else if (now !== then) out.push({ ...v, entry: k, kind: 'changed', then, now });
  }
  for (const [k, now] of b) if (!a.has(k)) out.push({ ...v, entry: k, kind: 'added', now });
  return out;
}

/** Guest-physical address of host page `hpa` through the memslots (undefined: not guest RAM). */
function gpaOf(vm: Vm, hpa: number): number | undefined {
  for (const s of vm.vmm.memory.slots) if (hpa >= s.hpaStart && hpa < s.hpaStart + s.size) return s.gpaStart + (hpa - s.hpaStart);
  return undefined;
}

/**
 * Differences between instruction count `then` of recorded history and now. Needs recording.
 * `limit` caps each list (memory pages, mappings); the counts say how many there were.
 */
export function compareMoments(vm: Vm, then: number, limit = 2000): MomentDiff {
  const tl = vm.timeline;
  if (!tl) throw new Error('compare needs recording (time travel), which is off for this VM');
  if (!Number.isInteger(then) || then < tl.start || then > tl.frontier) {
    throw new Error(`instruction count ${then} is outside recorded history (${tl.start}..${tl.frontier})`);
  }
  const now = capture(vm, false);
  const past = tl.peek(then, () => capture(vm, true));
  const diff: MomentDiff = {
    then: past.icount, now: now.icount, registers: [], vmcs: [], devices: fields(past.devices, now.devices),
    memory: [], memoryPages: 0, guestMappings: [], eptMappings: mappings(past.eptMaps, now.eptMaps).slice(0, limit),
  };
  for (let v = 0; v < now.registers.length; v++) {
    diff.registers.push(...fields(past.registers[v], now.registers[v], v));
    diff.vmcs.push(...fields(past.vmcs[v], now.vmcs[v], v));
    diff.guestMappings.push(...mappings(past.guestMaps[v], now.guestMaps[v], v));
  }
  diff.guestMappings = diff.guestMappings.slice(0, limit);
  const a = past.mem!, b = vm.vmm.host.i32, W = PAGE_SIZE / 4;
  for (let p = 0; p < a.length / W; p++) {
    let first = -1, changed = 0;
    for (let k = p * W, e = k + W; k < e; k++) {
      if (a[k] === b[k]) continue;
      if (first < 0) first = (k - p * W) * 4;
      const x = a[k] ^ b[k];
      changed += ((x & 0xff) ? 1 : 0) + ((x & 0xff00) ? 1 : 0) + ((x & 0xff0000) ? 1 : 0) + ((x & 0xff000000) ? 1 : 0);
    }
    if (first < 0) continue;
    diff.memoryPages++;
    if (diff.memory.length < limit) {
      const hpa = p * PAGE_SIZE;
      const gpa = gpaOf(vm, hpa);
      diff.memory.push({ hpa, ...(gpa !== undefined ? { gpa } : {}), bytesChanged: changed, firstOffset: first });
    }
  }
  return diff;
}

const hex8 = (n: number): string => '0x' + (n >>> 0).toString(16).padStart(8, '0');

/** The diff as Debug Console text (at most `lines` lines per section). */
export function momentDiffText(d: MomentDiff, lines = 40): string {
  const out = [`compare instruction count ${d.then} (then) with ${d.now} (now):`];
  const section = <T>(title: string, xs: T[], line: (x: T) => string, total = xs.length): void => {
    out.push(`${title}: ${total === 0 ? 'no differences' : `${total} difference${total === 1 ? '' : 's'}`}`);
    for (const x of xs.slice(0, lines)) out.push(`  ${line(x)}`);
    if (total > Math.min(lines, xs.length)) out.push(`  … ${total - Math.min(lines, xs.length)} more`);
  };
  const vc = (v?: number): string => (v !== undefined ? `vcpu${v} ` : '');
  section('registers', d.registers, (f) => `${vc(f.vcpu)}${f.name}: ${f.then} -> ${f.now}`);
  section('VMCS fields', d.vmcs, (f) => `${vc(f.vcpu)}${f.name}: ${f.then} -> ${f.now}`);
  section('devices', d.devices, (f) => `${f.group}.${f.name}: ${f.then} -> ${f.now}`);
  section('memory pages', d.memory, (m) => `HPA ${hex8(m.hpa)}${m.gpa !== undefined ? ` (GPA ${hex8(m.gpa)})` : ''}: ${m.bytesChanged} byte(s) differ, first at +0x${m.firstOffset.toString(16)}`, d.memoryPages);
  section('guest page-table mappings', d.guestMappings, (m) => `${vc(m.vcpu)}${m.kind} ${m.entry}: ${m.kind === 'added' ? m.now : m.kind === 'removed' ? m.then : `${m.then} -> ${m.now}`}`);
  section('EPT mappings', d.eptMappings, (m) => `${m.kind} ${m.entry}: ${m.kind === 'added' ? m.now : m.kind === 'removed' ? m.then : `${m.then} -> ${m.now}`}`);
  return out.join('\n');
}
