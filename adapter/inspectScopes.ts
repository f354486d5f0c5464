// The inspection scopes (VMM handler frame, descriptor tables, guest page tables, EPT, devices, VM
// statistics) and the `translate` / expression side of `evaluate`. Trees come from the core as
// lazily expandable nodes; their variablesReferences live from INSPECT_BASE up and are valid until
// the VM resumes (the Variables view asks again at every stop).
import type { DebugProtocol } from '@vscode/debugprotocol';
import type { Vm } from '../src/core/machine/vm';
import type { TreeNode } from '../src/core/debug/treeNode';
import { translateSourceOf } from '../src/core/debug/vmTranslateSource';
import { translate } from '../src/core/debug/translate';
import { translationNodes, translationSummary } from '../src/core/debug/translateView';
import { pageTablesView, shadowTablesView } from '../src/core/debug/pageTablesView';
import { eptView } from '../src/core/debug/eptView';
import { descriptorTablesView } from '../src/core/debug/descriptorTablesView';
import { systemRegsOf } from '../src/core/debug/systemRegs';
import { vmmFrameView } from '../src/core/debug/vmmFrame';
import { vmStatsView } from '../src/core/debug/vmStatsView';
import { compileVmExpression, formatValue } from '../src/core/debug/vmExpression';
import type { GroupView } from '../src/core/debug/debugApi';
import { errorMessage, hex8 } from './format';

/** References at or above this belong to the inspector (below: adapter/variables.ts). */
export const INSPECT_BASE = 1_000_000;

class InspectError extends Error {
  override name = 'StaleReferenceError';
}
class EvaluateError extends Error {
  override name = 'EvaluateError';
}

export class Inspector {
  private readonly refs = new Map<number, () => TreeNode[]>();
  /** Children already produced, by reference (for dataBreakpointInfo lookups). */
  private readonly produced = new Map<number, DebugProtocol.Variable[]>();
  private next = INSPECT_BASE;

  /** The VM moved: every inspector reference becomes stale. */
  invalidate(): void {
    this.refs.clear();
    this.produced.clear();
  }

  owns(reference: number): boolean { return reference >= INSPECT_BASE; }

  private ref(children: () => TreeNode[]): number {
    const r = this.next++;
    this.refs.set(r, children);
    return r;
  }

  scopes(vm: Vm, vcpu: number, vmmFrame: boolean): DebugProtocol.Scope[] {
    const scopes: DebugProtocol.Scope[] = [];
    if (vmmFrame) {
      const f = vmmFrameView(vm.vmm, vcpu);
      if (f) {
        scopes.push({
          name: 'VMM handler', variablesReference: this.ref(() => [
            { name: 'action', value: f.action },
            { name: 'reads', value: `${f.reads.length} values`, children: () => f.reads },
            { name: 'writes back', value: f.writes.length ? `${f.writes.length} values` : 'nothing', children: f.writes.length ? () => f.writes : undefined },
          ]), expensive: false,
        });
      }
    }
    const read = (a: number, n: number): Uint8Array | undefined => { const r = vm.readMemory(vcpu, 'gva', a, n); return r.data.length === n ? r.data : undefined; };
    scopes.push(
      { name: 'Descriptor tables', variablesReference: this.ref(() => descriptorTablesView(systemRegsOf(vm.vmm, vcpu), read)), expensive: false },
      { name: 'Guest page tables (GVA→GPA)', variablesReference: this.ref(() => pageTablesView(translateSourceOf(vm.vmm, vcpu))), expensive: true },
      vm.vmm.shadow
        ? { name: 'Shadow page tables (GVA→HPA)', variablesReference: this.ref(() => shadowTablesView(translateSourceOf(vm.vmm, vcpu))), expensive: true }
        : { name: 'EPT (GPA→HPA)', variablesReference: this.ref(() => eptView(translateSourceOf(vm.vmm, vcpu))), expensive: true },
      { name: 'Devices', variablesReference: this.ref(() => groupsToNodes(safeDevices(vm))), expensive: false },
      { name: 'VM statistics', variablesReference: this.ref(() => vmStatsView(vm.vmm, vm.icount)), expensive: false },
    );
    return scopes;
  }

  variables(reference: number): DebugProtocol.Variable[] {
    const f = this.refs.get(reference);
    if (!f) throw new InspectError(`variablesReference ${reference} is unknown or stale (the VM has moved since)`);
    const vars = f().map((n) => this.toVariable(n));
    this.produced.set(reference, vars);
    return vars;
  }

  /** A child variable already shown (for dataBreakpointInfo). */
  lookup(reference: number, name: string): DebugProtocol.Variable | undefined {
    return (this.produced.get(reference) ?? (this.refs.has(reference) ? this.variables(reference) : [])).find((v) => v.name === name);
  }

  private toVariable(n: TreeNode): DebugProtocol.Variable {
    const v: DebugProtocol.Variable = {
      name: n.name, value: n.value,
      variablesReference: n.children ? this.ref(n.children) : 0,
      presentationHint: { kind: 'data', attributes: ['readOnly'] },
    };
    if (n.type) v.type = n.type;
    if (n.memoryReference) v.memoryReference = n.memoryReference;
    return v;
  }

  /**
   * `translate <expr>` (the two-dimensional walk as variables) or an expression (registers,
   * vmcs.NAME, *(u32*)addr, symbols, arithmetic). `plain` is the older name-only evaluate, tried
   * first so registers keep their bit-field children.
   */
  evaluate(vm: Vm, vcpu: number, args: DebugProtocol.EvaluateArguments, plain: () => DebugProtocol.EvaluateResponse['body']): DebugProtocol.EvaluateResponse['body'] {
    const expr = args.expression.trim();
    const tr = /^translate\s+(.+)$/i.exec(expr);
    if (tr) {
      const gva = this.value(vm, vcpu, tr[1]) >>> 0;
      const t = translate(translateSourceOf(vm.vmm, vcpu), gva);
      return { result: translationSummary(t), variablesReference: this.ref(() => translationNodes(t)), memoryReference: hex8(gva) };
    }
    try {
      return plain();
    } catch (e) {
      if (!(e instanceof Error) || e.name !== 'EvaluateError') throw e;
    }
    const v = this.value(vm, vcpu, expr);
    const body: DebugProtocol.EvaluateResponse['body'] = { result: formatValue(v), variablesReference: 0 };
    if (Number.isInteger(v) && v >= 0 && v <= 0xffffffff) body.memoryReference = hex8(v);
    return body;
  }

  private value(vm: Vm, vcpu: number, src: string): number {
    try {
      return compileVmExpression(vm, src, vcpu)({ vcpu });
    } catch (e) {
      throw new EvaluateError(`cannot evaluate "${src}": ${errorMessage(e)}`);
    }
  }
}

function safeDevices(vm: Vm): GroupView[] {
  try { return vm.devices(); } catch (e) { return [{ name: 'error', fields: [{ name: 'devices', value: 0, text: errorMessage(e) }] }]; }
}

function groupsToNodes(groups: GroupView[]): TreeNode[] {
  return groups.map((g) => ({
    name: g.name, value: `${g.fields.length} registers`,
    children: () => g.fields.map((f) => ({
      name: f.name, value: f.text, type: f.detail,
      children: f.bits && f.bits.length ? () => f.bits!.map((b) => ({ name: b.name, value: b.text ? `${b.value} (${b.text})` : String(b.value) })) : undefined,
    })),
  }));
}
