/*
 * Native side of the CPU differential test (issue 3, "Proof of correctness 1").
 *
 * A freestanding 32-bit Linux program (no libc: this machine has no 32-bit multilib). It reads test
 * cases from stdin, runs each case's instruction natively on the host CPU and writes the resulting
 * state to stdout. Build: gcc -m32 -ffreestanding -nostdlib -static -fno-pie -no-pie -O1.
 *
 * Case record (little-endian, CASE_IN bytes):
 *   u8  code[32]    the instruction followed by `jmp dword [BACK_PTR]` (FF 25 imm32)
 *   u32 regs[8]     EAX ECX EDX EBX ESP EBP ESI EDI (ESP is ignored: the instruction must not use it)
 *   u32 eflags      loaded with POPFD (arithmetic flags and DF only)
 *   u32 window      address of the memory window: MEM_BASE, or LOW_BASE for 16-bit addressing
 *   u8  mem[128]    the memory window's contents
 * Result record (CASE_OUT bytes): u32 regs[8], u32 eflags, u8 mem[128].
 *
 * The instruction runs with all eight registers and EFLAGS loaded by POPFD/POPAD; it jumps back
 * through a pointer at BACK_PTR to code that captures them with PUSHFD/PUSHAD, then the harness
 * restores its own state. The same fixed addresses are used by the interpreter side
 * (test/diff/native.ts), so effective addresses, LEA results and string pointers agree.
 */
typedef unsigned int u32;
typedef unsigned char u8;

#define CODE_PAGE 0x00200000u
#define BACK_PTR (CODE_PAGE + 0x800u)
#define MEM_PAGE 0x00100000u
#define MEM_BASE (MEM_PAGE + 0x400u)
#define MEM_SIZE 128
/* Below 64 KiB for 16-bit addressing: mapped only where vm.mmap_min_addr allows (the test checks). */
#define LOW_PAGE 0x00007000u
#define CASE_IN (CODE_BYTES + 32 + 4 + 4 + MEM_SIZE)
#define CODE_BYTES 32
#define CASE_OUT (32 + 4 + MEM_SIZE)
#define BATCH 2048

static int sys3(int n, int a, int b, int c) {
  int r;
  __asm__ volatile("int $0x80" : "=a"(r) : "a"(n), "b"(a), "c"(b), "d"(c) : "memory");
  return r;
}
/* old_mmap (syscall 90) takes its six arguments in a block: no EBP juggling. */
static int mmap_fixed(u32 addr, u32 len, int prot) {
  u32 args[6] = { addr, len, (u32)prot, 0x32 /* MAP_PRIVATE|MAP_FIXED|MAP_ANONYMOUS */, (u32)-1, 0 };
  return sys3(90, (int)args, 0, 0);
}

void *memcpy(void *d, const void *s, unsigned n) {
  u8 *dd = d; const u8 *ss = s;
  while (n--) *dd++ = *ss++;
  return d;
}
void *memset(void *d, int c, unsigned n) {
  u8 *dd = d;
  while (n--) *dd++ = (u8)c;
  return d;
}

/* ctx layout = what POPFD then POPAD consume: EFLAGS, EDI, ESI, EBP, ESP(skipped), EBX, EDX, ECX, EAX. */
static u32 ctx[9];
u32 saved_esp;
void run_case(u32 *c);
void back_to_harness(void);
__asm__(
  ".text\n"
  ".globl run_case\n"
  "run_case:\n"
  "  pushal\n"
  "  pushfl\n"
  "  movl %esp, saved_esp\n"
  "  movl 40(%esp), %esp\n"
  "  popfl\n"
  "  popal\n"
  "  jmp 0x00200000\n"
  ".globl back_to_harness\n"
  "back_to_harness:\n"
  "  pushal\n"
  "  pushfl\n"
  "  movl saved_esp, %esp\n"
  "  popfl\n"
  "  popal\n"
  "  ret\n"
  ".globl _start\n"
  "_start:\n"
  "  andl $-16, %esp\n"
  "  call harness_main\n"
  "  movl %eax, %ebx\n"
  "  movl $1, %eax\n"
  "  int $0x80\n");

static u8 inbuf[CASE_IN * BATCH];
static u8 outbuf[CASE_OUT * BATCH];

static int read_full(u8 *p, int n) {
  int got = 0;
  while (got < n) {
    int r = sys3(3, 0, (int)(p + got), n - got);
    if (r <= 0) break;
    got += r;
  }
  return got;
}
static int write_full(const u8 *p, int n) {
  while (n > 0) {
    int r = sys3(4, 1, (int)p, n);
    if (r <= 0) return -1;
    p += r; n -= r;
  }
  return 0;
}

int harness_main(void) {
  if (mmap_fixed(CODE_PAGE, 4096, 7) != (int)CODE_PAGE) return 3;
  if (mmap_fixed(MEM_PAGE, 4096, 3) != (int)MEM_PAGE) return 4;
  mmap_fixed(LOW_PAGE, 4096, 3);
  *(volatile u32 *)BACK_PTR = (u32)&back_to_harness;
  for (;;) {
    int got = read_full(inbuf, sizeof inbuf);
    if (got % CASE_IN) return 5;
    int n = got / CASE_IN;
    for (int k = 0; k < n; k++) {
      const u8 *in = inbuf + k * CASE_IN;
      u8 *out = outbuf + k * CASE_OUT;
      const u32 *regs = (const u32 *)(in + CODE_BYTES);
      memcpy((void *)CODE_PAGE, in, CODE_BYTES);
      u8 *window = (u8 *)regs[9];
      memcpy(window, in + CODE_BYTES + 40, MEM_SIZE);
      ctx[0] = regs[8];
      for (int r = 0; r < 8; r++) ctx[8 - r] = regs[r];
      run_case(ctx);
      u32 *o = (u32 *)out;
      for (int r = 0; r < 8; r++) o[r] = ctx[8 - r];
      o[8] = ctx[0];
      memcpy(out + 36, window, MEM_SIZE);
    }
    if (n && write_full(outbuf, n * CASE_OUT)) return 6;
    if (got < (int)sizeof inbuf) return 0;
  }
}
