// Completion items: mnemonics (the opcode table and its aliases), registers, directives of the
// dialect, VMCS field names (SDM Appendix B, with their encodings, for VMREAD/VMWRITE operands and
// equ lines) and the document's labels. Never inside comments (the server checks).
import { DIRECTIVES } from '../core/asm/assembler';
import { ATT_ALIASES, INTEL_ALIASES, TABLE_MNEMONICS } from '../core/asm/aliases';
import { REGISTER_NAMES } from '../core/asm/operands';
import { VMCS_FIELDS } from '../core/hw/vmx/vmcsFields';
import { opcodesByMnemonic } from '../core/isa/opcodeTable';
import type { Analysis } from './document';

export interface Completion { label: string; detail: string; kind: 'mnemonic' | 'register' | 'directive' | 'vmcs' | 'label' }

const GAS_DIRECTIVES = ['.text', '.data', '.bss', '.section', '.globl', '.global', '.code16', '.code32', '.byte', '.word', '.short', '.long', '.int', '.quad',
  '.ascii', '.asciz', '.string', '.align', '.balign', '.p2align', '.space', '.skip', '.fill', '.org', '.equ', '.set', '.type', '.size', '.comm', '.lcomm', '.rept', '.endr', '.macro', '.endm'];

export function completionsFor(a: Analysis, prefix: string): Completion[] {
  const out: Completion[] = [];
  const gas = a.dialect === 'gas';
  // At the start of a statement: mnemonics and directives; after the mnemonic: registers, labels, VMCS fields.
  const atWord = /^\s*(?:[A-Za-z_.?@$][\w.?@$]*:\s*)?[A-Za-z_.]*$/.test(prefix);
  if (atWord) {
    for (const m of TABLE_MNEMONICS) out.push({ label: m, detail: opcodesByMnemonic(m)[0]?.summary ?? '', kind: 'mnemonic' });
    for (const [alias, m] of gas ? ATT_ALIASES : INTEL_ALIASES) out.push({ label: alias, detail: `= ${m}: ${opcodesByMnemonic(m)[0]?.summary ?? ''}`, kind: 'mnemonic' });
    if (gas) for (const d of GAS_DIRECTIVES) out.push({ label: d, detail: 'GNU as directive', kind: 'directive' });
    else for (const [d, doc] of Object.entries(DIRECTIVES)) out.push({ label: d, detail: doc, kind: 'directive' });
    return out;
  }
  for (const r of REGISTER_NAMES) out.push({ label: gas ? '%' + r : r, detail: 'register', kind: 'register' });
  for (const f of VMCS_FIELDS) out.push({ label: f.name, detail: `VMCS field 0x${f.encoding.toString(16).padStart(4, '0')}: ${f.description}`, kind: 'vmcs' });
  const seen = new Set<string>();
  for (const l of a.labels) {
    if (seen.has(l.written)) continue;
    seen.add(l.written);
    out.push({ label: l.written, detail: l.kind === 'constant' ? 'constant' : 'label', kind: 'label' });
  }
  return out;
}
