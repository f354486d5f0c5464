// The one x86 instruction table (ARCHITECTURE.md invariant 3). It drives the decoder, the executor
// dispatch (by handler name, so isa/ does not depend on hw/), the disassembler and the language
// server. Each entry also carries its virtualization class: privileged or not, sensitive or not in
// the Popek-Goldberg sense, and which VM exit it can cause under which VMCS control.
//
// Operand notation follows SDM Vol. 2 Appendix A.2: E = ModRM r/m, G = ModRM reg (GPR), I = immediate,
// J = relative offset, M = memory-only r/m, R = register-only r/m, O = moffs, A = far pointer,
// S/C/D = ModRM reg selecting a segment/control/debug register, X/Y = DS:eSI / ES:eDI string
// operands, Z = register in the low three bits of the opcode. Sizes: b byte, w word, d dword, v word/dword by operand size, z word/dword immediate,
// p far pointer, s pseudo-descriptor, q quadword. Fixed operands are named (AL, eAX, DX, CL, 1, ES...).

/** Why an instruction matters to a hypervisor (Popek & Goldberg 1974; Robin & Irvine 2000 for x86). */
export type SensitiveKind =
  /** Changes the configuration of the machine (CR3, GDTR, IF...). */
  | 'control'
  /** Its result depends on the configuration or on the privilege level (CPL, IOPL, descriptors). */
  | 'behavior';

export interface ExitInfo {
  /** SDM Appendix C exit-reason name (see hw/vmx/exitReasons.ts). */
  reason: string;
  /** Which VMCS control makes it exit: 'always', or the control's SDM name. */
  when: string;
}

export interface OpcodeDef {
  /** Position in OPCODES: the executor's dispatch index. */
  index: number;
  /** 0x00-0xff, or 0x0f00 | byte for the two-byte map. */
  opcode: number;
  /** ModRM.reg opcode extension (/digit) or -1. */
  ext: number;
  /** For mod=3-only encodings that are selected by ModRM.rm too (0F 01 C1 = VMCALL): rm, else -1. */
  rm: number;
  /** Mandatory prefix distinguishing the entry (0x66, 0xf3, 0xf2), or 0. */
  prefix: number;
  /** Intel mnemonic (32-bit operand size form). */
  mnemonic: string;
  /** Mnemonic with a 16-bit operand size, where it differs (cwde → cbw). */
  mnemonic16?: string;
  operands: readonly string[];
  /** Executor handler name (hw/cpu/exec registers the functions). */
  handler: string;
  /** One line for hovers: what it does. */
  summary: string;
  /** #GP(0) unless CPL = 0. */
  privileged?: boolean;
  /** Privileged when CPL > IOPL (IN/OUT/CLI/STI...). */
  iopl?: boolean;
  sensitive?: SensitiveKind;
  /** Why it is sensitive, in words (for hovers and the debugger). */
  sensitiveWhy?: string;
  exit?: ExitInfo;
  /** ModRM form restriction: memory only or register only (else #UD). */
  form?: 'mem' | 'reg';
  /** REP prefix meaningful (string instructions). */
  rep?: boolean;
  /** LOCK allowed (with a memory destination). */
  lockable?: boolean;
  /** "NP" in the SDM opcode column: a 66, F2 or F3 prefix makes the encoding invalid (#UD). */
  noPrefix?: boolean;
  /**
   * Arithmetic flags SDM Vol. 2 ("Flags Affected") leaves undefined after this instruction, by name
   * ('AF', 'SF ZF AF PF'). Shifts and rotates list what is undefined for a multi-bit count; their
   * count-dependent rules (count 0: no flag changes; count 1: OF defined; SHL/SHR with count >= size:
   * CF undefined) are in docs/cpu/undefinedFlags.md. Read by the differential test's flag masks.
   */
  undefinedFlags?: string;
}

const defs: OpcodeDef[] = [];
type Extra = Partial<Omit<OpcodeDef, 'index' | 'opcode' | 'mnemonic' | 'operands' | 'handler'>>;

function d(opcode: number, mnemonic: string, operands: string, handler: string, summary: string, extra: Extra = {}): void {
  defs.push({
    index: defs.length, opcode, ext: -1, rm: -1, prefix: 0, mnemonic, operands: operands ? operands.split(',') : [], handler, summary, ...extra,
  });
}

// --- Arithmetic and logic: the eight ALU operations in their six classic forms (00-3D). ---
const alu: [string, string][] = [
  ['add', 'Add'], ['or', 'Bitwise OR'], ['adc', 'Add with carry'], ['sbb', 'Subtract with borrow'],
  ['and', 'Bitwise AND'], ['sub', 'Subtract'], ['xor', 'Bitwise XOR'], ['cmp', 'Compare (subtract, flags only)'],
];
alu.forEach(([m, s], n) => {
  const base = n * 8;
  const lk = m !== 'cmp';
  d(base + 0, m, 'Eb,Gb', 'alu', s, { lockable: lk });
  d(base + 1, m, 'Ev,Gv', 'alu', s, { lockable: lk });
  d(base + 2, m, 'Gb,Eb', 'alu', s);
  d(base + 3, m, 'Gv,Ev', 'alu', s);
  d(base + 4, m, 'AL,Ib', 'alu', s);
  d(base + 5, m, 'eAX,Iz', 'alu', s);
  d(0x80, m, 'Eb,Ib', 'alu', s, { ext: n, lockable: lk });
  d(0x81, m, 'Ev,Iz', 'alu', s, { ext: n, lockable: lk });
  d(0x82, m, 'Eb,Ib', 'alu', s, { ext: n, lockable: lk });
  d(0x83, m, 'Ev,Ib', 'alu', s, { ext: n, lockable: lk });
});

// Segment register pushes and pops reveal or change the CPL-dependent state (Robin & Irvine).
const segSens: Extra = { sensitive: 'behavior', sensitiveWhy: 'Segment register contents reveal the CPL (selector RPL) to a de-privileged guest kernel.' };
d(0x06, 'push', 'ES', 'pushSeg', 'Push segment register', segSens);
d(0x07, 'pop', 'ES', 'popSeg', 'Pop segment register', segSens);
d(0x0e, 'push', 'CS', 'pushSeg', 'Push segment register', segSens);
d(0x16, 'push', 'SS', 'pushSeg', 'Push segment register', segSens);
d(0x17, 'pop', 'SS', 'popSeg', 'Pop segment register (inhibits interrupts for one instruction)', segSens);
d(0x1e, 'push', 'DS', 'pushSeg', 'Push segment register', segSens);
d(0x1f, 'pop', 'DS', 'popSeg', 'Pop segment register', segSens);
d(0x0fa0, 'push', 'FS', 'pushSeg', 'Push segment register', segSens);
d(0x0fa1, 'pop', 'FS', 'popSeg', 'Pop segment register', segSens);
d(0x0fa8, 'push', 'GS', 'pushSeg', 'Push segment register', segSens);
d(0x0fa9, 'pop', 'GS', 'popSeg', 'Pop segment register', segSens);

d(0x27, 'daa', '', 'daa', 'Decimal adjust AL after addition');
d(0x2f, 'das', '', 'das', 'Decimal adjust AL after subtraction');
d(0x37, 'aaa', '', 'aaa', 'ASCII adjust AL after addition');
d(0x3f, 'aas', '', 'aas', 'ASCII adjust AL after subtraction');
d(0xd4, 'aam', 'Ib', 'aam', 'ASCII adjust AX after multiply');
d(0xd5, 'aad', 'Ib', 'aad', 'ASCII adjust AX before division');

for (let r = 0; r < 8; r++) {
  d(0x40 + r, 'inc', 'Zv', 'incReg', 'Increment by 1 (CF unchanged)');
  d(0x48 + r, 'dec', 'Zv', 'decReg', 'Decrement by 1 (CF unchanged)');
  d(0x50 + r, 'push', 'Zv', 'pushReg', 'Push register');
  d(0x58 + r, 'pop', 'Zv', 'popReg', 'Pop register');
  d(0xb0 + r, 'mov', 'Zb,Ib', 'movRegImm', 'Move immediate to register');
  d(0xb8 + r, 'mov', 'Zv,Iv', 'movRegImm', 'Move immediate to register');
  d(0x0fc8 + r, 'bswap', 'Zd', 'bswap', 'Byte swap');
  if (r) d(0x90 + r, 'xchg', 'Zv,eAX', 'xchgAcc', 'Exchange register with accumulator');
}
d(0x60, 'pushad', '', 'pusha', 'Push all general registers', { mnemonic16: 'pusha' });
d(0x61, 'popad', '', 'popa', 'Pop all general registers', { mnemonic16: 'popa' });
d(0x62, 'bound', 'Gv,Ma', 'bound', 'Check array index against bounds (#BR)', { form: 'mem' });
d(0x63, 'arpl', 'Ew,Gw', 'arpl', 'Adjust RPL field of segment selector', { sensitive: 'behavior', sensitiveWhy: 'Operates on selector privilege levels.' });
d(0x68, 'push', 'Iz', 'pushImm', 'Push immediate');
d(0x6a, 'push', 'Ib', 'pushImm', 'Push sign-extended immediate');
d(0x69, 'imul', 'Gv,Ev,Iz', 'imul3', 'Signed multiply by immediate');
d(0x6b, 'imul', 'Gv,Ev,Ib', 'imul3', 'Signed multiply by sign-extended immediate');

const ioSens: Extra = { iopl: true, sensitive: 'control', sensitiveWhy: 'Touches device state; allowed at CPL > IOPL only through the TSS I/O permission bitmap.', exit: { reason: 'IO_INSTRUCTION', when: 'unconditional I/O exiting or the I/O bitmaps' } };
d(0x6c, 'insb', 'Yb,DX', 'ins', 'Input byte from port DX to ES:[eDI]', { ...ioSens, rep: true });
d(0x6d, 'insd', 'Yz,DX', 'ins', 'Input word/dword from port DX to ES:[eDI]', { ...ioSens, rep: true, mnemonic16: 'insw' });
d(0x6e, 'outsb', 'DX,Xb', 'outs', 'Output byte from DS:[eSI] to port DX', { ...ioSens, rep: true });
d(0x6f, 'outsd', 'DX,Xz', 'outs', 'Output word/dword from DS:[eSI] to port DX', { ...ioSens, rep: true, mnemonic16: 'outsw' });
d(0xe4, 'in', 'AL,Ib', 'in', 'Input from port', ioSens);
d(0xe5, 'in', 'eAX,Ib', 'in', 'Input from port', ioSens);
d(0xe6, 'out', 'Ib,AL', 'out', 'Output to port', ioSens);
d(0xe7, 'out', 'Ib,eAX', 'out', 'Output to port', ioSens);
d(0xec, 'in', 'AL,DX', 'in', 'Input from port DX', ioSens);
d(0xed, 'in', 'eAX,DX', 'in', 'Input from port DX', ioSens);
d(0xee, 'out', 'DX,AL', 'out', 'Output to port DX', ioSens);
d(0xef, 'out', 'DX,eAX', 'out', 'Output to port DX', ioSens);

const cc = ['o', 'no', 'b', 'ae', 'e', 'ne', 'be', 'a', 's', 'ns', 'p', 'np', 'l', 'ge', 'le', 'g'];
cc.forEach((c, n) => {
  d(0x70 + n, 'j' + c, 'Jb', 'jcc', `Jump short if condition ${c.toUpperCase()}`);
  d(0x0f80 + n, 'j' + c, 'Jz', 'jcc', `Jump near if condition ${c.toUpperCase()}`);
  d(0x0f90 + n, 'set' + c, 'Eb', 'setcc', `Set byte if condition ${c.toUpperCase()}`);
  d(0x0f40 + n, 'cmov' + c, 'Gv,Ev', 'cmovcc', `Move if condition ${c.toUpperCase()}`);
});

d(0x84, 'test', 'Eb,Gb', 'test', 'Logical compare (AND, flags only)');
d(0x85, 'test', 'Ev,Gv', 'test', 'Logical compare (AND, flags only)');
d(0xa8, 'test', 'AL,Ib', 'test', 'Logical compare (AND, flags only)');
d(0xa9, 'test', 'eAX,Iz', 'test', 'Logical compare (AND, flags only)');
d(0x86, 'xchg', 'Eb,Gb', 'xchg', 'Exchange (locked when memory)', { lockable: true });
d(0x87, 'xchg', 'Ev,Gv', 'xchg', 'Exchange (locked when memory)', { lockable: true });
d(0x88, 'mov', 'Eb,Gb', 'mov', 'Move');
d(0x89, 'mov', 'Ev,Gv', 'mov', 'Move');
d(0x8a, 'mov', 'Gb,Eb', 'mov', 'Move');
d(0x8b, 'mov', 'Gv,Ev', 'mov', 'Move');
d(0x8c, 'mov', 'Ev,Sw', 'movFromSeg', 'Move segment register', segSens);
d(0x8d, 'lea', 'Gv,M', 'lea', 'Load effective address', { form: 'mem' });
d(0x8e, 'mov', 'Sw,Ew', 'movToSeg', 'Move to segment register (loads the descriptor)', segSens);
d(0x8f, 'pop', 'Ev', 'popE', 'Pop into r/m', { ext: 0 });
d(0x90, 'nop', '', 'nop', 'No operation');
d(0x90, 'pause', '', 'pause', 'Spin-loop hint', { prefix: 0xf3, exit: { reason: 'PAUSE_INSTRUCTION', when: 'PAUSE exiting' } });
d(0x98, 'cwde', '', 'cwde', 'Sign-extend AX into EAX', { mnemonic16: 'cbw' });
d(0x99, 'cdq', '', 'cdq', 'Sign-extend EAX into EDX:EAX', { mnemonic16: 'cwd' });
const farSens: Extra = { sensitive: 'behavior', sensitiveWhy: 'Far transfers check CPL against descriptor privilege: a de-privileged kernel behaves differently.' };
d(0x9a, 'call', 'Ap', 'callFar', 'Far call', farSens);
d(0xea, 'jmp', 'Ap', 'jmpFar', 'Far jump', farSens);
d(0x9b, 'fwait', '', 'fwait', 'Wait for x87 (raises #NM when CR0.MP and TS)');
d(0x9c, 'pushfd', '', 'pushf', 'Push EFLAGS', {
  mnemonic16: 'pushf', sensitive: 'behavior',
  sensitiveWhy: 'Sensitive but not privileged: reveals IF and IOPL, so a de-privileged guest kernel sees the real interrupt flag, not its virtual one.',
});
d(0x9d, 'popfd', '', 'popf', 'Pop EFLAGS', {
  mnemonic16: 'popf', sensitive: 'control',
  sensitiveWhy: 'Sensitive but not privileged: at CPL > 0 changes to IF (and IOPL) are silently dropped, so under de-privileged trap-and-emulate a guest kernel cannot disable interrupts and nothing traps; under VT-x it runs natively in non-root mode.',
});
d(0x9e, 'sahf', '', 'sahf', 'Store AH into flags');
d(0x9f, 'lahf', '', 'lahf', 'Load flags into AH');
d(0xa0, 'mov', 'AL,Ob', 'movMoffs', 'Move from memory offset');
d(0xa1, 'mov', 'eAX,Ov', 'movMoffs', 'Move from memory offset');
d(0xa2, 'mov', 'Ob,AL', 'movMoffs', 'Move to memory offset');
d(0xa3, 'mov', 'Ov,eAX', 'movMoffs', 'Move to memory offset');
d(0xa4, 'movsb', 'Yb,Xb', 'movs', 'Move string byte', { rep: true });
d(0xa5, 'movsd', 'Yv,Xv', 'movs', 'Move string word/dword', { rep: true, mnemonic16: 'movsw' });
d(0xa6, 'cmpsb', 'Xb,Yb', 'cmps', 'Compare string bytes', { rep: true });
d(0xa7, 'cmpsd', 'Xv,Yv', 'cmps', 'Compare string words/dwords', { rep: true, mnemonic16: 'cmpsw' });
d(0xaa, 'stosb', 'Yb,AL', 'stos', 'Store string byte', { rep: true });
d(0xab, 'stosd', 'Yv,eAX', 'stos', 'Store string word/dword', { rep: true, mnemonic16: 'stosw' });
d(0xac, 'lodsb', 'AL,Xb', 'lods', 'Load string byte', { rep: true });
d(0xad, 'lodsd', 'eAX,Xv', 'lods', 'Load string word/dword', { rep: true, mnemonic16: 'lodsw' });
d(0xae, 'scasb', 'AL,Yb', 'scas', 'Scan string byte', { rep: true });
d(0xaf, 'scasd', 'eAX,Yv', 'scas', 'Scan string word/dword', { rep: true, mnemonic16: 'scasw' });

const shifts = ['rol', 'ror', 'rcl', 'rcr', 'shl', 'shr', 'sal', 'sar'];
shifts.forEach((m, n) => {
  const s = `${m.toUpperCase()}: shift/rotate`;
  d(0xc0, m, 'Eb,Ib', 'shift', s, { ext: n });
  d(0xc1, m, 'Ev,Ib', 'shift', s, { ext: n });
  d(0xd0, m, 'Eb,1', 'shift', s, { ext: n });
  d(0xd1, m, 'Ev,1', 'shift', s, { ext: n });
  d(0xd2, m, 'Eb,CL', 'shift', s, { ext: n });
  d(0xd3, m, 'Ev,CL', 'shift', s, { ext: n });
});
d(0xc2, 'ret', 'Iw', 'retNear', 'Near return, then release Iw bytes of stack');
d(0xc3, 'ret', '', 'retNear', 'Near return');
d(0xc4, 'les', 'Gv,Mp', 'loadFarPtr', 'Load far pointer into ES:reg', { form: 'mem', ...segSens });
d(0xc5, 'lds', 'Gv,Mp', 'loadFarPtr', 'Load far pointer into DS:reg', { form: 'mem', ...segSens });
d(0x0fb2, 'lss', 'Gv,Mp', 'loadFarPtr', 'Load far pointer into SS:reg', { form: 'mem', ...segSens });
d(0x0fb4, 'lfs', 'Gv,Mp', 'loadFarPtr', 'Load far pointer into FS:reg', { form: 'mem', ...segSens });
d(0x0fb5, 'lgs', 'Gv,Mp', 'loadFarPtr', 'Load far pointer into GS:reg', { form: 'mem', ...segSens });
d(0xc6, 'mov', 'Eb,Ib', 'mov', 'Move immediate', { ext: 0 });
d(0xc7, 'mov', 'Ev,Iz', 'mov', 'Move immediate', { ext: 0 });
d(0xc8, 'enter', 'Iw,Ib', 'enter', 'Make stack frame');
d(0xc9, 'leave', '', 'leave', 'Release stack frame');
d(0xca, 'retf', 'Iw', 'retFar', 'Far return, then release Iw bytes', farSens);
d(0xcb, 'retf', '', 'retFar', 'Far return', farSens);
d(0xcc, 'int3', '', 'int3', 'Breakpoint trap (#BP)', { exit: { reason: 'EXCEPTION_NMI', when: 'exception bitmap bit 3' } });
d(0xcd, 'int', 'Ib', 'intN', 'Software interrupt through the IDT', { ...farSens, exit: { reason: 'EXCEPTION_NMI', when: 'never for INT n (software interrupts are not in the exception bitmap)' } });
d(0xce, 'into', '', 'into', 'Interrupt 4 (#OF) if OF');
d(0xcf, 'iretd', '', 'iret', 'Return from interrupt', { mnemonic16: 'iret', ...farSens });
d(0xd6, 'salc', '', 'salc', 'Set AL from carry (undocumented)');
d(0xd7, 'xlatb', '', 'xlat', 'Table look-up translation');
for (let n = 0; n < 8; n++) {
  d(0xd8 + n, 'fpu', 'E', 'fpu', 'x87 FPU escape (no FPU: #NM when CR0.EM or TS, else #UD)');
}
d(0xe0, 'loopne', 'Jb', 'loop', 'Decrement eCX; jump if not zero and ZF=0');
d(0xe1, 'loope', 'Jb', 'loop', 'Decrement eCX; jump if not zero and ZF=1');
d(0xe2, 'loop', 'Jb', 'loop', 'Decrement eCX; jump if not zero');
d(0xe3, 'jecxz', 'Jb', 'jcxz', 'Jump if eCX is zero', { mnemonic16: 'jcxz' });
d(0xe8, 'call', 'Jz', 'callRel', 'Near call, relative');
d(0xe9, 'jmp', 'Jz', 'jmpRel', 'Near jump, relative');
d(0xeb, 'jmp', 'Jb', 'jmpRel', 'Short jump, relative');
d(0xf1, 'int1', '', 'int1', 'ICEBP: debug trap (#DB)');
d(0xf4, 'hlt', '', 'hlt', 'Halt until the next interrupt', {
  privileged: true, sensitive: 'control', sensitiveWhy: 'Stops the processor.',
  exit: { reason: 'HLT', when: 'HLT exiting' },
});
d(0xf5, 'cmc', '', 'cmc', 'Complement carry flag');
d(0xf6, 'test', 'Eb,Ib', 'test', 'Logical compare with immediate', { ext: 0 });
d(0xf6, 'test', 'Eb,Ib', 'test', 'Logical compare with immediate', { ext: 1 });
d(0xf7, 'test', 'Ev,Iz', 'test', 'Logical compare with immediate', { ext: 0 });
d(0xf7, 'test', 'Ev,Iz', 'test', 'Logical compare with immediate', { ext: 1 });
const grp3: [number, string, string, string, boolean][] = [
  [2, 'not', 'not', 'One\'s complement', true], [3, 'neg', 'neg', 'Two\'s complement negate', true],
  [4, 'mul', 'mul', 'Unsigned multiply into eDX:eAX', false], [5, 'imul', 'imul1', 'Signed multiply into eDX:eAX', false],
  [6, 'div', 'div', 'Unsigned divide eDX:eAX (#DE on zero or overflow)', false], [7, 'idiv', 'idiv', 'Signed divide eDX:eAX (#DE on zero or overflow)', false],
];
for (const [ext, m, h, s, lk] of grp3) {
  d(0xf6, m, 'Eb', h, s, { ext, lockable: lk });
  d(0xf7, m, 'Ev', h, s, { ext, lockable: lk });
}
d(0xf8, 'clc', '', 'clc', 'Clear carry flag');
d(0xf9, 'stc', '', 'stc', 'Set carry flag');
const ifSens: Extra = { iopl: true, sensitive: 'control', sensitiveWhy: 'Changes IF: allowed only when CPL <= IOPL; a de-privileged guest kernel faults (#GP) on it.' };
d(0xfa, 'cli', '', 'cli', 'Clear interrupt flag', ifSens);
d(0xfb, 'sti', '', 'sti', 'Set interrupt flag (interrupts recognised after the next instruction)', ifSens);
d(0xfc, 'cld', '', 'cld', 'Clear direction flag');
d(0xfd, 'std', '', 'std', 'Set direction flag');
d(0xfe, 'inc', 'Eb', 'incE', 'Increment by 1', { ext: 0, lockable: true });
d(0xfe, 'dec', 'Eb', 'decE', 'Decrement by 1', { ext: 1, lockable: true });
d(0xff, 'inc', 'Ev', 'incE', 'Increment by 1', { ext: 0, lockable: true });
d(0xff, 'dec', 'Ev', 'decE', 'Decrement by 1', { ext: 1, lockable: true });
d(0xff, 'call', 'Ev', 'callInd', 'Near call, indirect', { ext: 2 });
d(0xff, 'call', 'Mp', 'callFarInd', 'Far call, indirect', { ext: 3, form: 'mem', ...farSens });
d(0xff, 'jmp', 'Ev', 'jmpInd', 'Near jump, indirect', { ext: 4 });
d(0xff, 'jmp', 'Mp', 'jmpFarInd', 'Far jump, indirect', { ext: 5, form: 'mem', ...farSens });
d(0xff, 'push', 'Ev', 'pushE', 'Push r/m', { ext: 6 });

// --- Two-byte map: system instructions. ---
const dtExit = (r: string): ExitInfo => ({ reason: r, when: 'descriptor-table exiting (secondary control)' });
const pgViolator = (what: string): Extra => ({
  sensitive: 'behavior',
  sensitiveWhy: `Sensitive but not privileged (a Popek-Goldberg violator on x86): ${what} at any CPL without trapping, so classic trap-and-emulate cannot virtualize it.`,
});
d(0x0f00, 'sldt', 'Ew', 'sldt', 'Store LDTR selector', { ext: 0, ...pgViolator('reveals the real LDTR'), exit: dtExit('LDTR_TR') });
d(0x0f00, 'str', 'Ew', 'str', 'Store task register selector', { ext: 1, ...pgViolator('reveals the real TR'), exit: dtExit('LDTR_TR') });
d(0x0f00, 'lldt', 'Ew', 'lldt', 'Load LDTR', { ext: 2, privileged: true, sensitive: 'control', exit: dtExit('LDTR_TR') });
d(0x0f00, 'ltr', 'Ew', 'ltr', 'Load task register', { ext: 3, privileged: true, sensitive: 'control', exit: dtExit('LDTR_TR') });
d(0x0f00, 'verr', 'Ew', 'verr', 'Verify segment readable', { ext: 4, ...pgViolator('checks the selector against the real CPL') });
d(0x0f00, 'verw', 'Ew', 'verw', 'Verify segment writable', { ext: 5, ...pgViolator('checks the selector against the real CPL') });
d(0x0f01, 'sgdt', 'Ms', 'sgdt', 'Store GDTR', { ext: 0, form: 'mem', ...pgViolator('reveals the real GDT base (the "Red Pill")'), exit: dtExit('GDTR_IDTR') });
d(0x0f01, 'sidt', 'Ms', 'sidt', 'Store IDTR', { ext: 1, form: 'mem', ...pgViolator('reveals the real IDT base'), exit: dtExit('GDTR_IDTR') });
d(0x0f01, 'lgdt', 'Ms', 'lgdt', 'Load GDTR', { ext: 2, form: 'mem', privileged: true, sensitive: 'control', exit: dtExit('GDTR_IDTR') });
d(0x0f01, 'lidt', 'Ms', 'lidt', 'Load IDTR', { ext: 3, form: 'mem', privileged: true, sensitive: 'control', exit: dtExit('GDTR_IDTR') });
d(0x0f01, 'smsw', 'Ew', 'smsw', 'Store machine status word (CR0 low bits)', { ext: 4, ...pgViolator('reveals CR0.PE/MP/EM/TS (VT-x returns the CR0 read shadow for bits the host owns)') });
d(0x0f01, 'lmsw', 'Ew', 'lmsw', 'Load machine status word', { ext: 6, privileged: true, sensitive: 'control', exit: { reason: 'CR_ACCESS', when: 'CR0 guest/host mask bits 0-3' } });
d(0x0f01, 'invlpg', 'Mb', 'invlpg', 'Invalidate TLB entry for a page', { ext: 7, form: 'mem', privileged: true, sensitive: 'control', exit: { reason: 'INVLPG', when: 'INVLPG exiting' } });
const vmxInsn = (rmv: number, m: string, h: string, s: string, reason: string): void =>
  d(0x0f01, m, '', h, s, { ext: rmv >> 3 & 7, rm: rmv & 7, form: 'reg', exit: { reason, when: 'always' } });
vmxInsn(0xc1, 'vmcall', 'vmcall', 'Call to the VM monitor (hypercall)', 'VMCALL');
vmxInsn(0xc2, 'vmlaunch', 'vmx', 'Launch the current VM', 'VMLAUNCH');
vmxInsn(0xc3, 'vmresume', 'vmx', 'Resume the current VM', 'VMRESUME');
vmxInsn(0xc4, 'vmxoff', 'vmx', 'Leave VMX operation', 'VMXOFF');
d(0x0f01, 'monitor', '', 'monitor', 'Set up a monitor address', { ext: 1, rm: 0, form: 'reg', privileged: true, exit: { reason: 'MONITOR_INSTRUCTION', when: 'MONITOR exiting' } });
d(0x0f01, 'mwait', '', 'mwait', 'Monitor wait', { ext: 1, rm: 1, form: 'reg', privileged: true, exit: { reason: 'MWAIT_INSTRUCTION', when: 'MWAIT exiting' } });
d(0x0f01, 'rdtscp', '', 'rdtscp', 'Read time-stamp counter and processor ID', { ext: 7, rm: 1, form: 'reg', exit: { reason: 'RDTSCP', when: 'RDTSC exiting (with enable RDTSCP)' } });
d(0x0f02, 'lar', 'Gv,Ew', 'lar', 'Load access rights', pgViolator('reports descriptor access rights checked against the real CPL'));
d(0x0f03, 'lsl', 'Gv,Ew', 'lsl', 'Load segment limit', pgViolator('reports segment limits checked against the real CPL'));
d(0x0f06, 'clts', '', 'clts', 'Clear CR0.TS', { privileged: true, sensitive: 'control', exit: { reason: 'CR_ACCESS', when: 'CR0 guest/host mask bit 3 with read shadow TS = 1' } });
d(0x0f08, 'invd', '', 'invd', 'Invalidate caches without writeback', { privileged: true, sensitive: 'control', exit: { reason: 'INVD', when: 'always' } });
d(0x0f09, 'wbinvd', '', 'wbinvd', 'Write back and invalidate caches', { privileged: true, sensitive: 'control', exit: { reason: 'WBINVD', when: 'WBINVD exiting' } });
d(0x0f0b, 'ud2', '', 'ud2', 'Raise invalid opcode (#UD)');
d(0x0f0d, 'nop', 'Ev', 'nop', 'Prefetch hint (no operation)');
for (let n = 0x18; n <= 0x1f; n++) d(0x0f00 | n, 'nop', 'Ev', 'nop', 'Hint / multi-byte no operation');
d(0x0f20, 'mov', 'Rd,Cd', 'movFromCr', 'Move from control register', { privileged: true, sensitive: 'control', exit: { reason: 'CR_ACCESS', when: 'CR3-store exiting (CR3); never for CR0/CR4 (read shadows)' } });
d(0x0f21, 'mov', 'Rd,Dd', 'movFromDr', 'Move from debug register', { privileged: true, sensitive: 'control', exit: { reason: 'DR_ACCESS', when: 'MOV-DR exiting' } });
d(0x0f22, 'mov', 'Cd,Rd', 'movToCr', 'Move to control register', { privileged: true, sensitive: 'control', exit: { reason: 'CR_ACCESS', when: 'CR3-load exiting (CR3; shadow paging uses it); CR0/CR4 guest/host masks' } });
d(0x0f23, 'mov', 'Dd,Rd', 'movToDr', 'Move to debug register', { privileged: true, sensitive: 'control', exit: { reason: 'DR_ACCESS', when: 'MOV-DR exiting' } });
d(0x0f30, 'wrmsr', '', 'wrmsr', 'Write model-specific register ECX from EDX:EAX', { privileged: true, sensitive: 'control', exit: { reason: 'MSR_WRITE', when: 'MSR bitmaps (or always without them)' } });
d(0x0f31, 'rdtsc', '', 'rdtsc', 'Read time-stamp counter into EDX:EAX', { sensitive: 'behavior', sensitiveWhy: 'Reveals real time unless CR4.TSD; VT-x can offset or trap it.', exit: { reason: 'RDTSC', when: 'RDTSC exiting' } });
d(0x0f32, 'rdmsr', '', 'rdmsr', 'Read model-specific register ECX into EDX:EAX', { privileged: true, sensitive: 'control', exit: { reason: 'MSR_READ', when: 'MSR bitmaps (or always without them)' } });
d(0x0f33, 'rdpmc', '', 'rdpmc', 'Read performance counter', { exit: { reason: 'RDPMC', when: 'RDPMC exiting' } });
d(0x0f34, 'sysenter', '', 'sysenter', 'Fast system call');
d(0x0f35, 'sysexit', '', 'sysexit', 'Fast return from system call', { privileged: true });
d(0x0f78, 'vmread', 'Ed,Gd', 'vmx', 'Read a VMCS field', { noPrefix: true, exit: { reason: 'VMREAD', when: 'always (unless VMCS shadowing)' } });
d(0x0f79, 'vmwrite', 'Gd,Ed', 'vmx', 'Write a VMCS field', { noPrefix: true, exit: { reason: 'VMWRITE', when: 'always (unless VMCS shadowing)' } });
d(0x0fa2, 'cpuid', '', 'cpuid', 'CPU identification', { sensitive: 'behavior', sensitiveWhy: 'Reveals the real processor.', exit: { reason: 'CPUID', when: 'always' } });
d(0x0fa3, 'bt', 'Ev,Gv', 'bt', 'Bit test');
d(0x0fab, 'bts', 'Ev,Gv', 'bt', 'Bit test and set', { lockable: true });
d(0x0fb3, 'btr', 'Ev,Gv', 'bt', 'Bit test and reset', { lockable: true });
d(0x0fbb, 'btc', 'Ev,Gv', 'bt', 'Bit test and complement', { lockable: true });
d(0x0fba, 'bt', 'Ev,Ib', 'bt', 'Bit test', { ext: 4 });
d(0x0fba, 'bts', 'Ev,Ib', 'bt', 'Bit test and set', { ext: 5, lockable: true });
d(0x0fba, 'btr', 'Ev,Ib', 'bt', 'Bit test and reset', { ext: 6, lockable: true });
d(0x0fba, 'btc', 'Ev,Ib', 'bt', 'Bit test and complement', { ext: 7, lockable: true });
d(0x0fa4, 'shld', 'Ev,Gv,Ib', 'shld', 'Double-precision shift left');
d(0x0fa5, 'shld', 'Ev,Gv,CL', 'shld', 'Double-precision shift left');
d(0x0fac, 'shrd', 'Ev,Gv,Ib', 'shrd', 'Double-precision shift right');
d(0x0fad, 'shrd', 'Ev,Gv,CL', 'shrd', 'Double-precision shift right');
d(0x0faa, 'rsm', '', 'rsm', 'Resume from system management mode');
d(0x0faf, 'imul', 'Gv,Ev', 'imul2', 'Signed multiply');
d(0x0fb0, 'cmpxchg', 'Eb,Gb', 'cmpxchg', 'Compare and exchange', { lockable: true });
d(0x0fb1, 'cmpxchg', 'Ev,Gv', 'cmpxchg', 'Compare and exchange', { lockable: true });
d(0x0fb6, 'movzx', 'Gv,Eb', 'movzx', 'Move with zero-extend');
d(0x0fb7, 'movzx', 'Gv,Ew', 'movzx', 'Move with zero-extend');
d(0x0fbe, 'movsx', 'Gv,Eb', 'movsx', 'Move with sign-extend');
d(0x0fbf, 'movsx', 'Gv,Ew', 'movsx', 'Move with sign-extend');
d(0x0fbc, 'bsf', 'Gv,Ev', 'bsf', 'Bit scan forward');
d(0x0fbd, 'bsr', 'Gv,Ev', 'bsr', 'Bit scan reverse');
d(0x0fc0, 'xadd', 'Eb,Gb', 'xadd', 'Exchange and add', { lockable: true });
d(0x0fc1, 'xadd', 'Ev,Gv', 'xadd', 'Exchange and add', { lockable: true });
d(0x0fc7, 'cmpxchg8b', 'Mq', 'cmpxchg8b', 'Compare and exchange 8 bytes', { ext: 1, form: 'mem', lockable: true });
d(0x0fc7, 'vmptrld', 'Mq', 'vmx', 'Load the current-VMCS pointer', { ext: 6, noPrefix: true, form: 'mem', exit: { reason: 'VMPTRLD', when: 'always' } });
d(0x0fc7, 'vmclear', 'Mq', 'vmx', 'Clear a VMCS', { ext: 6, prefix: 0x66, form: 'mem', exit: { reason: 'VMCLEAR', when: 'always' } });
d(0x0fc7, 'vmxon', 'Mq', 'vmx', 'Enter VMX operation', { ext: 6, prefix: 0xf3, form: 'mem', exit: { reason: 'VMXON', when: 'always' } });
d(0x0fc7, 'vmptrst', 'Mq', 'vmx', 'Store the current-VMCS pointer', { ext: 7, noPrefix: true, form: 'mem', exit: { reason: 'VMPTRST', when: 'always' } });

// Undefined flags per instruction (SDM Vol. 2, each instruction's "Flags Affected"; the table and
// what this CPU produces for them: docs/cpu/undefinedFlags.md).
const UNDEFINED_FLAGS: Readonly<Record<string, string>> = {
  and: 'AF', or: 'AF', xor: 'AF', test: 'AF',
  mul: 'SF ZF AF PF', imul: 'SF ZF AF PF',
  div: 'CF OF SF ZF AF PF', idiv: 'CF OF SF ZF AF PF',
  daa: 'OF', das: 'OF', aaa: 'OF SF ZF PF', aas: 'OF SF ZF PF', aam: 'OF AF CF', aad: 'OF AF CF',
  bt: 'OF SF AF PF', bts: 'OF SF AF PF', btr: 'OF SF AF PF', btc: 'OF SF AF PF',
  bsf: 'CF OF SF AF PF', bsr: 'CF OF SF AF PF',
  rol: 'OF', ror: 'OF', rcl: 'OF', rcr: 'OF',
  shl: 'OF AF', sal: 'OF AF', shr: 'OF AF', sar: 'OF AF', shld: 'OF AF', shrd: 'OF AF',
};
for (const e of defs) if (UNDEFINED_FLAGS[e.mnemonic]) e.undefinedFlags = UNDEFINED_FLAGS[e.mnemonic];
// MOV to/from control and debug registers: "The OF, SF, ZF, AF, PF, and CF flags are undefined" (SDM Vol. 2 MOV CR, MOV DR).
for (const e of defs) if (e.opcode >= 0x0f20 && e.opcode <= 0x0f23) e.undefinedFlags = 'CF PF AF ZF SF OF';

/** Every instruction the product knows, in one table. */
export const OPCODES: readonly OpcodeDef[] = defs;

/** Entries by mnemonic (for hovers, completion and the assembler). */
export function opcodesByMnemonic(mnemonic: string): OpcodeDef[] {
  const m = mnemonic.toLowerCase();
  return defs.filter((e) => e.mnemonic === m || e.mnemonic16 === m);
}

/** Prefix bytes (SDM Vol. 2 section 2.1.1). */
export const PREFIXES: Readonly<Record<number, string>> = {
  0xf0: 'lock', 0xf2: 'repne', 0xf3: 'rep', 0x2e: 'cs', 0x36: 'ss', 0x3e: 'ds', 0x26: 'es', 0x64: 'fs', 0x65: 'gs',
  0x66: 'operand-size', 0x67: 'address-size',
};
