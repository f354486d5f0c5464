// Maps the core's StopEvent to what DAP shows: the `stopped` event's reason/description/text and the
// `exceptionInfo` answer. Guest exit ('exited') is not a stop; the session ends the debug session.
import type { DebugProtocol } from '@vscode/debugprotocol';
import type { ExitEvent, StopEvent } from '../src/core/debug/debugApi';
import { hex, hex8 } from './format';

export interface StopReport {
  threadId: number;
  reason: string;
  description?: string;
  text?: string;
  hitBreakpointIds?: number[];
  /** Present for stops that VS Code shows as exceptions. */
  exception?: DebugProtocol.ExceptionInfoResponse['body'];
  /** The exit the VM is stopped at (the call stack shows a VMM handler frame). */
  exit?: ExitEvent;
}

export function threadIdOf(vcpu: number): number {
  return vcpu + 1;
}

/** Text of a VM-exit stop, e.g. "VM exit: IO_INSTRUCTION port 0x3f8 out, 1 byte". */
export function exitText(exit: ExitEvent): string {
  if (exit.fields.entryFailure === true) return `VM-entry failure: ${exit.detail}`;
  return `VM exit: ${exit.reasonName} ${exit.detail}`.trim();
}

/** Describes a stop; `breakpointId` maps an instruction-breakpoint address to its DAP id. */
export function describeStop(
  ev: Exclude<StopEvent, { kind: 'exited' }>,
  breakpointId: (address: number) => number | undefined,
  note?: string,
): StopReport {
  const threadId = threadIdOf(ev.vcpu);
  switch (ev.kind) {
    case 'entry':
      return { threadId, reason: 'entry' };
    case 'step':
      return { threadId, reason: 'step' };
    case 'pause':
      return note ? { threadId, reason: 'pause', description: note, text: note } : { threadId, reason: 'pause' };
    case 'breakpoint': {
      if (ev.watch) {
        const w = ev.watch;
        const text = `Data breakpoint: ${w.write ? 'write' : 'read'} of ${w.size} byte${w.size > 1 ? 's' : ''} at ${hex8(w.linear)}, stopped after the instruction (next: ${hex8(ev.address)})`;
        return { threadId, reason: 'data breakpoint', description: text, text, hitBreakpointIds: [w.id] };
      }
      const id = breakpointId(ev.address);
      return {
        threadId,
        reason: 'instruction breakpoint',
        description: `Instruction breakpoint at ${hex8(ev.address)}`,
        hitBreakpointIds: id !== undefined ? [id] : undefined,
      };
    }
    case 'vmexit': {
      const text = exitText(ev.exit);
      return {
        threadId, reason: 'exception', description: text, text, exit: ev.exit,
        exception: {
          exceptionId: ev.filterId,
          description: text,
          breakMode: 'always',
          details: exitDetails(ev.exit),
        },
      };
    }
    case 'exception': {
      const errorCode = ev.errorCode !== undefined ? `error code ${hex(ev.errorCode)}\n` : '';
      return {
        threadId, reason: 'exception', description: ev.text, text: ev.text,
        exception: {
          exceptionId: ev.filterId,
          description: ev.text,
          breakMode: 'always',
          details: { message: ev.text, typeName: `vector ${ev.vector}`, stackTrace: `vector = ${ev.vector}\n${errorCode}`.trimEnd() },
        },
      };
    }
    case 'instruction': {
      // A privileged / sensitive instruction filter: stopped before it ran (src/core/debug/insnStops.ts).
      const lines = [
        `instruction = ${ev.disassembly}`,
        `address = ${hex8(ev.address)}`,
        `willExit = ${ev.exits}${ev.exitReason ? ` (${ev.exitReason})` : ''}`,
        `why = ${ev.why}`,
        `class = ${ev.classWhy}`,
      ];
      return {
        threadId, reason: 'exception', description: ev.text, text: ev.text,
        exception: {
          exceptionId: ev.filterId, description: ev.text, breakMode: 'always',
          details: { message: ev.text, typeName: ev.filterId === 'insn.privileged' ? 'privileged instruction' : 'sensitive instruction', stackTrace: lines.join('\n') },
        },
      };
    }
    case 'shutdown': {
      const text = /^VM shutdown/i.test(ev.text) ? ev.text : `VM shutdown: ${ev.text}`;
      return {
        threadId, reason: 'exception', description: text, text,
        exception: { exceptionId: 'shutdown', description: text, breakMode: 'always', details: { message: text, typeName: 'shutdown' } },
      };
    }
    case 'error':
      return {
        threadId, reason: 'exception', description: ev.text, text: ev.text,
        exception: { exceptionId: 'error', description: ev.text, breakMode: 'always', details: { message: ev.text, typeName: 'internal error' } },
      };
  }
}

/** ExceptionDetails for an exit: the exit's named fields, one per line (VS Code shows stackTrace verbatim). */
function exitDetails(exit: ExitEvent): DebugProtocol.ExceptionDetails {
  const lines = [
    `reason = ${exit.reason} (${exit.reasonName})`,
    `qualification = ${hex(exit.qualification)}`,
    `guestRip = ${hex8(exit.guestRip)}`,
    `vcpu = ${exit.vcpu}`,
    `icount = ${exit.icount}`,
  ];
  for (const [k, v] of Object.entries(exit.fields)) {
    if (k === 'reason' || k === 'qualification') continue;
    lines.push(`${k} = ${fieldText(v)}`);
  }
  return {
    message: exitText(exit),
    typeName: exit.reasonName,
    fullTypeName: `VM exit reason ${exit.reason} (${exit.reasonName})`,
    stackTrace: lines.join('\n'),
  };
}

/** Small numbers in decimal, the rest in hex (ports, addresses, masks); booleans as words. */
function fieldText(v: number | boolean): string {
  if (typeof v === 'boolean') return String(v);
  if (!Number.isInteger(v) || v < 0) return String(v);
  return v < 10 ? String(v) : '0x' + v.toString(16);
}
