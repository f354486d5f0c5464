// Scopes and variables. A variablesReference names a *path* (scope, vCPU, group, field), interned
// once and kept for the whole session, so the same register group has the same reference at every
// stop and values are read fresh from the VM when asked. A reference that was never issued, or whose
// path no longer exists in the VM's views, is stale: it gets a StaleReferenceError (an error
// response), never a crash.
import type { DebugProtocol } from '@vscode/debugprotocol';
import type { Vm } from '../src/core/machine/vm';
import type { BitField, FieldView, GroupView } from '../src/core/debug/debugApi';
import { hex, hex8 } from './format';

export type VarPath =
  | { kind: 'registers'; vcpu: number }
  | { kind: 'vmcs'; vcpu: number }
  | { kind: 'group'; view: 'registers' | 'vmcs'; vcpu: number; group: string }
  | { kind: 'field'; view: 'registers' | 'vmcs'; vcpu: number; group: string; field: string }
  | { kind: 'exits' }
  | { kind: 'recentExits' };

export class StaleReferenceError extends Error {
  override name = 'StaleReferenceError';
}

/** Registers whose value is a guest linear address: the Variables view offers "View Binary Data". */
const LINEAR_ADDRESS_REGISTERS = new Set(['eip', 'rip', 'esp', 'ebp', 'esi', 'edi', 'cr2', 'gdtr', 'idtr']);
/** Registers holding a guest-physical address. */
const PHYSICAL_ADDRESS_REGISTERS = new Set(['cr3']);

export class VariableStore {
  private readonly byKey = new Map<string, number>();
  private readonly byRef = new Map<number, VarPath>();
  private next = 1;

  /** The reference for a path (the same number every time for the same path). */
  ref(path: VarPath): number {
    const key = JSON.stringify(path);
    let r = this.byKey.get(key);
    if (r === undefined) {
      r = this.next++;
      this.byKey.set(key, r);
      this.byRef.set(r, path);
    }
    return r;
  }

  scopes(vcpu: number): DebugProtocol.Scope[] {
    return [
      { name: 'Registers', presentationHint: 'registers', variablesReference: this.ref({ kind: 'registers', vcpu }), expensive: false },
      { name: 'VMCS', variablesReference: this.ref({ kind: 'vmcs', vcpu }), expensive: false },
      { name: 'VM exits', variablesReference: this.ref({ kind: 'exits' }), expensive: false },
    ];
  }

  /** Children of a reference, read from the VM now. Throws StaleReferenceError for unknown paths. */
  variables(vm: Vm, reference: number): DebugProtocol.Variable[] {
    const path = this.byRef.get(reference);
    if (!path) throw new StaleReferenceError(`variablesReference ${reference} is unknown or stale`);
    switch (path.kind) {
      case 'registers':
      case 'vmcs': {
        checkVcpu(vm, path.vcpu, reference);
        const groups = view(vm, path.kind, path.vcpu);
        return groups.map((g) => ({
          name: g.name,
          value: `${g.fields.length} ${path.kind === 'vmcs' ? 'fields' : 'registers'}`,
          variablesReference: this.ref({ kind: 'group', view: path.kind, vcpu: path.vcpu, group: g.name }),
          presentationHint: { kind: 'data', attributes: ['readOnly'] },
        }));
      }
      case 'group': {
        checkVcpu(vm, path.vcpu, reference);
        const g = findGroup(view(vm, path.view, path.vcpu), path.group, reference);
        return g.fields.map((f) => this.fieldVariable(path.view, path.vcpu, g.name, f));
      }
      case 'field': {
        checkVcpu(vm, path.vcpu, reference);
        const g = findGroup(view(vm, path.view, path.vcpu), path.group, reference);
        const f = g.fields.find((x) => x.name === path.field);
        if (!f) throw new StaleReferenceError(`variablesReference ${reference} is stale: ${path.field} is gone`);
        return (f.bits ?? []).map(bitVariable);
      }
      case 'exits': {
        const rows = vm.exitStats().map((r) => ({
          name: r.reasonName,
          value: String(r.count),
          type: `exit reason ${r.reason}`,
          variablesReference: 0,
        } as DebugProtocol.Variable));
        // Memory virtualization: the mode and, under shadow paging, the shadow MMU's counters (Vm.vmStats).
        const st = vm.vmStats();
        rows.push({
          name: 'mmu',
          value: st.shadow
            ? `${st.mmu}: ${st.shadow.syncs} syncs, ${st.shadow.shadowPageFaults} #PF fixed, ${st.shadow.guestPageFaults} reflected, ${st.shadow.protectedNow} tables write-protected (${st.shadow.pagesWriteProtected} so far), ${st.shadow.writesEmulated} writes emulated, ${st.shadow.rootsCached} roots cached`
            : `${st.mmu}: ${st.eptMaps} EPT mappings`,
          variablesReference: 0,
        });
        const recent = vm.recentExits();
        rows.push({
          name: 'recent',
          value: `${recent.length} exits, newest first`,
          variablesReference: recent.length > 0 ? this.ref({ kind: 'recentExits' }) : 0,
        });
        return rows;
      }
      case 'recentExits': {
        return vm.recentExits().slice().reverse().map((e) => ({
          name: `icount ${e.icount}`,
          value: `vcpu${e.vcpu} ${e.reasonName} ${e.detail} at ${hex8(e.guestRip)}`.replace(/\s+/g, ' ').trim(),
          variablesReference: 0,
        }));
      }
    }
  }

  /** The Variables-view form of one register or VMCS field (also used by `evaluate`). */
  fieldVariable(viewName: 'registers' | 'vmcs', vcpu: number, group: string, f: FieldView): DebugProtocol.Variable {
    const v: DebugProtocol.Variable = {
      name: viewName === 'vmcs' ? vmcsName(f) : f.name,
      value: f.text,
      variablesReference: f.bits && f.bits.length > 0
        ? this.ref({ kind: 'field', view: viewName, vcpu, group, field: f.name })
        : 0,
      evaluateName: viewName === 'vmcs' ? `vmcs.${f.name}` : f.name,
      presentationHint: { kind: 'property', attributes: ['readOnly'] },
    };
    if (f.detail) v.type = f.detail;
    const lname = f.name.toLowerCase();
    if (viewName === 'registers' && LINEAR_ADDRESS_REGISTERS.has(lname)) v.memoryReference = hex8(f.value);
    else if (viewName === 'registers' && PHYSICAL_ADDRESS_REGISTERS.has(lname)) v.memoryReference = `gpa:${hex8(f.value & ~0xfff)}`;
    return v;
  }
}

/** "GUEST_CR3 (0x6802)": the SDM name with the encoding taken from the field's detail. */
export function vmcsName(f: FieldView): string {
  const enc = f.detail ? /0x[0-9a-f]+/i.exec(f.detail) : null;
  return enc ? `${f.name} (${enc[0].toLowerCase()})` : f.name;
}

function bitVariable(b: BitField): DebugProtocol.Variable {
  const num = b.value < 10 ? String(b.value) : hex(b.value);
  return {
    name: b.name,
    value: b.text !== undefined && b.text !== '' ? `${num} (${b.text})` : num,
    variablesReference: 0,
    presentationHint: { kind: 'property', attributes: ['readOnly'] },
  };
}

function view(vm: Vm, which: 'registers' | 'vmcs', vcpu: number): GroupView[] {
  return which === 'registers' ? vm.registers(vcpu) : vm.vmcs(vcpu);
}

function findGroup(groups: GroupView[], name: string, reference: number): GroupView {
  const g = groups.find((x) => x.name === name);
  if (!g) throw new StaleReferenceError(`variablesReference ${reference} is stale: group ${name} is gone`);
  return g;
}

function checkVcpu(vm: Vm, vcpu: number, reference: number): void {
  if (vcpu < 0 || vcpu >= vm.vcpuCount) {
    throw new StaleReferenceError(`variablesReference ${reference} is stale: no vcpu${vcpu}`);
  }
}
