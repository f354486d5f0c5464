// DAP data breakpoints: dataBreakpointInfo (a variable with a memoryReference, an address with
// asAddress/bytes, or an expression such as a symbol) and setDataBreakpoints, mapped to the core's
// watches (src/core/debug/dataBreakpoints.ts). A dataId is "gva:0x00100000:4" or "gpa:0x00001000:4".
import type { DebugProtocol } from '@vscode/debugprotocol';
import type { Vm } from '../src/core/machine/vm';
import type { DataBreakpointSpec, WatchAccess } from '../src/core/debug/dataBreakpoints';
import { evaluateVmExpression } from '../src/core/debug/vmExpression';
import { parseMemoryReference } from './memory';
import { errorMessage, hex8 } from './format';

const ACCESS: DebugProtocol.DataBreakpointAccessType[] = ['write', 'read', 'readWrite'];
const WORDS: Record<WatchAccess, string> = { read: 'read', write: 'write', readWrite: 'access' };

export function parseDataId(dataId: string): { space: 'gva' | 'gpa'; address: number; length: number } | undefined {
  const m = /^(gva|gpa):(0x[0-9a-f]{1,8}):(\d{1,7})$/i.exec(dataId.trim());
  if (!m) return undefined;
  return { space: m[1].toLowerCase() as 'gva' | 'gpa', address: parseInt(m[2].slice(2), 16), length: Number(m[3]) };
}

function info(space: 'gva' | 'gpa', address: number, length: number, what: string): DebugProtocol.DataBreakpointInfoResponse['body'] {
  const where = space === 'gpa' ? `guest-physical ${hex8(address)}` : `guest-virtual ${hex8(address)}`;
  return {
    dataId: `${space}:${hex8(address)}:${length}`,
    description: `${what}: ${length} byte${length > 1 ? 's' : ''} at ${where}`,
    accessTypes: ACCESS,
    canPersist: true,
  };
}

export class DataBreakpoints {
  private ids = new Map<string, number>();

  constructor(private readonly newId: () => number) {}

  /** `lookup` finds a variable by container reference and name (its memoryReference and type). */
  info(vm: Vm, vcpu: number, args: DebugProtocol.DataBreakpointInfoArguments, lookup: (ref: number, name: string) => DebugProtocol.Variable | undefined): DebugProtocol.DataBreakpointInfoResponse['body'] {
    const none = (why: string): DebugProtocol.DataBreakpointInfoResponse['body'] => ({ dataId: null, description: why });
    const bytes = args.bytes !== undefined && Number.isInteger(args.bytes) && args.bytes > 0 ? args.bytes : 4;
    if (args.asAddress) {
      let ref: { space: 'gva' | 'gpa'; address: number };
      try { ref = parseMemoryReference(args.name); } catch (e) { return none(errorMessage(e)); }
      return info(ref.space, ref.address, bytes, args.name);
    }
    if (args.variablesReference !== undefined && args.variablesReference !== 0) {
      const v = lookup(args.variablesReference, args.name);
      if (!v) return none(`no variable "${args.name}" here`);
      if (!v.memoryReference) return none(`${args.name} has no memory address (registers live in the CPU; watch memory instead)`);
      const ref = parseMemoryReference(v.memoryReference);
      return info(ref.space, ref.address, bytes, args.name);
    }
    // An expression: its value is the address (a symbol, 0x1000, esp + 8).
    let address: number;
    try { address = evaluateVmExpression(vm, vcpu, args.name) >>> 0; } catch (e) { return none(`cannot watch "${args.name}": ${errorMessage(e)}`); }
    const sym = vm.symbols.find((s) => s.name === args.name.trim());
    const length = args.bytes ?? (sym && sym.size > 0 && sym.size <= 64 ? sym.size : 4);
    return info('gva', address, length, args.name);
  }

  /** Replaces the data breakpoints; returns the DAP breakpoints and arms the VM. */
  set(vm: Vm, args: DebugProtocol.SetDataBreakpointsArguments): DebugProtocol.Breakpoint[] {
    const specs: DataBreakpointSpec[] = [];
    const slots: (number | DebugProtocol.Breakpoint)[] = [];
    const ids = new Map<string, number>();
    for (const bp of args.breakpoints ?? []) {
      const d = parseDataId(String(bp.dataId ?? ''));
      if (!d) { slots.push({ verified: false, message: `bad dataId "${String(bp.dataId)}" (expected gva:0x00100000:4 or gpa:0x1000:4)` }); continue; }
      const access: WatchAccess = bp.accessType === 'read' || bp.accessType === 'readWrite' ? bp.accessType : 'write';
      const key = `${bp.dataId}/${access}`;
      const id = ids.get(key) ?? this.ids.get(key) ?? this.newId();
      ids.set(key, id);
      slots.push(specs.length);
      specs.push({ id, space: d.space, address: d.address, length: d.length, access });
    }
    this.ids = ids;
    const errors = vm.setDataBreakpoints(specs);
    return slots.map((s) => {
      if (typeof s !== 'number') return s;
      const spec = specs[s];
      const err = errors[s];
      const where = `${spec.space === 'gpa' ? 'guest-physical' : 'guest-virtual'} ${hex8(spec.address)}`;
      return err
        ? { id: spec.id, verified: false, message: err }
        : { id: spec.id, verified: true, message: `stops on ${WORDS[spec.access]} of ${spec.length} byte${spec.length > 1 ? 's' : ''} at ${where}` };
    });
  }
}
