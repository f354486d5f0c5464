// exceptionInfo for a VM-exit stop, in words: the reason, the decoded qualification, the exiting
// instruction (disassembled), its guest linear and physical address, and what the VMM will do.
import type { DebugProtocol } from '@vscode/debugprotocol';
import type { Vm } from '../src/core/machine/vm';
import type { ExitEvent } from '../src/core/debug/debugApi';
import { vmmFrameView } from '../src/core/debug/vmmFrame';
import { hex8 } from './format';

export function explainExit(vm: Vm, exit: ExitEvent, base: DebugProtocol.ExceptionInfoResponse['body']): DebugProtocol.ExceptionInfoResponse['body'] {
  const lines: string[] = [];
  lines.push(`VM exit ${exit.reason} (${exit.reasonName}) on vcpu${exit.vcpu} at icount ${exit.icount}`);
  if (exit.detail) lines.push(`qualification ${hex8(exit.qualification)}: ${exit.detail}`);
  let insn = '';
  try {
    const d = vm.disassemble(exit.vcpu, exit.guestRip, 1)[0];
    if (d) insn = `${d.text}${d.bytes ? `  [${d.bytes}]` : ''}`;
  } catch { /* unreadable code: leave it out */ }
  let gpa = -1;
  try { gpa = vm.translate(exit.vcpu, exit.guestRip); } catch { gpa = -1; }
  lines.push(`instruction: ${insn || '(unreadable)'} at guest linear ${hex8(exit.guestRip)}, guest physical ${gpa >= 0 ? hex8(gpa) : '(not mapped)'}`);
  const frame = vmmFrameView(vm.vmm, exit.vcpu);
  const action = frame ? `The VMM ${frame.action}.` : 'The exit has been handled.';
  lines.push(action);
  const details = base?.details ?? {};
  return {
    ...base,
    description: `${base?.description ?? exit.reasonName}: ${insn || 'instruction'} at ${hex8(exit.guestRip)}. ${action}`,
    details: { ...details, message: lines.join('\n'), stackTrace: [lines.join('\n'), details.stackTrace ?? ''].filter(Boolean).join('\n\n') },
  } as DebugProtocol.ExceptionInfoResponse['body'];
}
