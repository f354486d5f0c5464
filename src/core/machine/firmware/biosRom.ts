// The paravirtual BIOS's code in the F000 segment and the interrupt vector table that points at it.
// Services (INT 10h, 13h, 15h, 16h, 1Ah, ...) are 16-byte stubs around a VMCALL: the VMM does the
// work in biosServices.ts, so stepping into `int 13h` shows the VM exit that implements it. The
// timer (INT 08h) and the default IRQ handlers are ordinary real-mode code (their EOIs are I/O exits).
import {
  BIOS_DATE, BIOS_SEG, INT08_CODE, IRET_CODE, IRQ_MASTER_CODE, IRQ_SLAVE_CODE, MODEL_BYTE, PIC_MASTER_BASE,
  PIC_SLAVE_BASE, RESET_VECTOR, STUBS, STUB_SLOT, TICKS_PER_DAY, VMCALL,
} from './biosLayout';

export interface RomWriter { writeBytes(gpa: number, bytes: Uint8Array): void; }

/** Vectors served through a VMCALL stub. */
export const SERVICE_VECTORS = [0x09, 0x10, 0x11, 0x12, 0x13, 0x15, 0x16, 0x19, 0x1a] as const;

const le16 = (v: number): number[] => [v & 0xff, (v >> 8) & 0xff];
const le32 = (v: number): number[] => [...le16(v & 0xffff), ...le16(v >>> 16)];
const ofs = (linear: number): number => linear - (BIOS_SEG << 4);

/** Stub bytes of service vector `n` (at STUBS + 16 n). */
export function stubCode(n: number): number[] {
  const slot = STUBS + n * STUB_SLOT;
  switch (n) {
    case 0x09: // IRQ1: take the scan code from the 8042 (when there is one), then EOI.
      return [0x50, 0xe4, 0x64, 0xa8, 0x01, 0x74, 0x05, 0xe4, 0x60, ...VMCALL, 0xe9, ...le16(ofs(IRQ_MASTER_CODE + 1) - ofs(slot + 15))];
      //      push ax; in al,64h; test al,1; jz +5; in al,60h; vmcall; jmp IRQ_MASTER_CODE+1 (mov al,20h; out 20h,al; pop ax; iret)
    case 0x16: // Keyboard: CF set by the VMM means "no key yet": wait for IRQ1 with interrupts on, then ask again.
      return [...VMCALL, 0x73, 0x04, 0xfb, 0xf4, 0xeb, 0xf7, 0xcf];
      //      vmcall; jnc +4; sti; hlt; jmp slot; iret
    case 0x19: // Bootstrap loader: the VMM loads sector 0 of the boot disk at 0000:7C00 and sets DL.
      return [...VMCALL, 0xea, 0x00, 0x7c, 0x00, 0x00];
      //      vmcall; jmp 0000:7C00
    default:
      return [...VMCALL, 0xcf]; // vmcall; iret (results in registers and in the FLAGS image on the stack)
  }
}

/**
 * INT 08h (IRQ0): count the tick in the BDA, roll over at midnight, call the user timer hook INT 1Ch,
 * EOI the master PIC (IBM PC/AT BIOS "TIMER_INT").
 */
export function int08Code(): number[] {
  return [
    0x1e,                                      // push ds
    0x66, 0x50,                                // push eax
    0x31, 0xc0,                                // xor ax, ax
    0x8e, 0xd8,                                // mov ds, ax
    0x66, 0xff, 0x06, 0x6c, 0x04,              // inc dword [046Ch]
    0x66, 0x81, 0x3e, 0x6c, 0x04, ...le32(TICKS_PER_DAY), // cmp dword [046Ch], 1800B0h
    0x72, 0x0e,                                // jb .hook
    0x66, 0xc7, 0x06, 0x6c, 0x04, 0, 0, 0, 0,  // mov dword [046Ch], 0
    0xc6, 0x06, 0x70, 0x04, 0x01,              // mov byte [0470h], 1
    0xcd, 0x1c,                                // .hook: int 1Ch
    0xb0, 0x20,                                // mov al, 20h
    0xe6, 0x20,                                // out 20h, al (non-specific EOI)
    0x66, 0x58,                                // pop eax
    0x1f,                                      // pop ds
    0xcf,                                      // iret
  ];
}

/** Install the ROM code, the IVT (all 256 vectors) and the identification bytes. */
export function installBios(mem: RomWriter): void {
  const stubs = new Uint8Array(256 * STUB_SLOT);
  for (const n of SERVICE_VECTORS) stubs.set(stubCode(n), n * STUB_SLOT);
  mem.writeBytes(STUBS, stubs);
  mem.writeBytes(INT08_CODE, Uint8Array.from(int08Code()));
  mem.writeBytes(IRQ_MASTER_CODE, Uint8Array.from([0x50, 0xb0, 0x20, 0xe6, 0x20, 0x58, 0xcf]));             // push ax; mov al,20h; out 20h,al; pop ax; iret
  mem.writeBytes(IRQ_SLAVE_CODE, Uint8Array.from([0x50, 0xb0, 0x20, 0xe6, 0xa0, 0xe6, 0x20, 0x58, 0xcf])); // ... out A0h,al; out 20h,al ...
  mem.writeBytes(IRET_CODE, Uint8Array.from([0xcf]));
  // Reset vector: with this firmware nothing resets through it (the 8042 reset line stops the VM); halt.
  mem.writeBytes(RESET_VECTOR, Uint8Array.from([0xfa, 0xf4, 0xeb, 0xfd]));
  mem.writeBytes(BIOS_DATE, Uint8Array.from('12/02/26', (c) => c.charCodeAt(0)));
  mem.writeBytes(MODEL_BYTE, Uint8Array.from([0xfc, 0x00])); // PC/AT
  const ivt = new Uint8Array(1024);
  const set = (v: number, linear: number): void => { ivt.set([...le16(ofs(linear)), ...le16(BIOS_SEG)], v * 4); };
  for (let v = 0; v < 256; v++) set(v, IRET_CODE);
  for (let k = 0; k < 8; k++) { set(PIC_MASTER_BASE + k, IRQ_MASTER_CODE); set(PIC_SLAVE_BASE + k, IRQ_SLAVE_CODE); }
  set(0x08, INT08_CODE);
  for (const n of SERVICE_VECTORS) set(n, STUBS + n * STUB_SLOT);
  // INT 1Dh, 1Eh, 41h, 46h are data pointers on a PC (video params, diskette params, disk params): left null.
  for (const v of [0x1d, 0x1e, 0x1f, 0x41, 0x43, 0x46]) ivt.fill(0, v * 4, v * 4 + 4);
  mem.writeBytes(0, ivt);
}
