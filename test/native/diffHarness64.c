/*
 * 64-bit native side of the CPU differential test, for kernels that cannot run 32-bit processes
 * (CONFIG_IA32_EMULATION off or "32-bit emulation disabled"; see docs/adr/0004-64-bit-diff-harness.md).
 *
 * Same job and record layout as diffHarness.c, but a freestanding x86-64 Linux program. Each case's
 * code is not the 32-bit instruction itself but its 64-bit-mode equivalent made by
 * test/diff/translate64.ts (0x67 address-size prefix, RIP-relative disp32 rewritten to SIB disp32,
 * INC/DEC short forms as FF /0, FF /1), followed by `jmp qword [BACK_PTR]` (FF 24 25 imm32).
 * The memory windows sit at the same addresses below 4 GiB, so effective addresses, LEA results
 * and string pointers agree with the interpreter, which runs the original 32-bit encoding.
 * Build: gcc -ffreestanding -nostdlib -static -fno-pie -no-pie -fno-stack-protector -O1.
 *
 * Case record (little-endian, CASE_IN bytes):
 *   u8  code[32]    the translated instruction followed by `jmp qword [BACK_PTR]`
 *   u32 regs[8]     EAX ECX EDX EBX ESP EBP ESI EDI, loaded zero-extended (ESP is ignored)
 *   u32 eflags      loaded with POPFQ (arithmetic flags and DF only)
 *   u32 window      address of the memory window (MEM_BASE)
 *   u8  mem[128]    the memory window's contents
 * Result record (CASE_OUT bytes): u32 regs[8] (low halves), u32 eflags, u8 mem[128].
 */
typedef unsigned long u64;
typedef unsigned int u32;
typedef unsigned char u8;

#define CODE_PAGE 0x00200000u
#define BACK_PTR (CODE_PAGE + 0x800u)
#define MEM_PAGE 0x00100000u
#define MEM_SIZE 128
#define CODE_BYTES 32
#define CASE_IN (CODE_BYTES + 32 + 4 + 4 + MEM_SIZE)
#define CASE_OUT (32 + 4 + MEM_SIZE)
#define BATCH 2048

static long sys6(long n, long a, long b, long c, long d, long e, long f) {
  long r;
  register long r10 __asm__("r10") = d;
  register long r8 __asm__("r8") = e;
  register long r9 __asm__("r9") = f;
  __asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9) : "rcx", "r11", "memory");
  return r;
}
static long mmap_fixed(u64 addr, u64 len, int prot) {
  return sys6(9, (long)addr, (long)len, prot, 0x32 /* MAP_PRIVATE|MAP_FIXED|MAP_ANONYMOUS */, -1, 0);
}

void *memcpy(void *d, const void *s, unsigned long n) {
  u8 *dd = d; const u8 *ss = s;
  while (n--) *dd++ = *ss++;
  return d;
}
void *memset(void *d, int c, unsigned long n) {
  u8 *dd = d;
  while (n--) *dd++ = (u8)c;
  return d;
}

/*
 * ctx layout = what POPFQ then the pops in run_case consume: RFLAGS, RDI, RSI, RBP, RBX, RDX, RCX, RAX.
 * back_to_harness pushes them in the reverse order, so RSP walks back down over the same slots.
 * R11 carries the jump target (no case reads or writes R8-R15: nothing is REX-encoded).
 */
static u64 ctx[8];
u64 saved_rsp;
void run_case(u64 *c);
void back_to_harness(void);
__asm__(
  ".text\n"
  ".globl run_case\n"
  "run_case:\n"
  "  pushq %rbx\n  pushq %rbp\n  pushq %r12\n  pushq %r13\n  pushq %r14\n  pushq %r15\n"
  "  pushfq\n"
  "  movq %rsp, saved_rsp(%rip)\n"
  "  movq %rdi, %rsp\n"
  "  popfq\n"
  "  popq %rdi\n  popq %rsi\n  popq %rbp\n  popq %rbx\n  popq %rdx\n  popq %rcx\n  popq %rax\n"
  "  movl $0x00200000, %r11d\n"
  "  jmp *%r11\n"
  ".globl back_to_harness\n"
  "back_to_harness:\n"
  "  pushq %rax\n  pushq %rcx\n  pushq %rdx\n  pushq %rbx\n  pushq %rbp\n  pushq %rsi\n  pushq %rdi\n"
  "  pushfq\n"
  "  movq saved_rsp(%rip), %rsp\n"
  "  popfq\n"
  "  popq %r15\n  popq %r14\n  popq %r13\n  popq %r12\n  popq %rbp\n  popq %rbx\n"
  "  ret\n"
  ".globl _start\n"
  "_start:\n"
  "  andq $-16, %rsp\n"
  "  call harness_main\n"
  "  movl %eax, %edi\n"
  "  movl $60, %eax\n"
  "  syscall\n");

static u8 inbuf[CASE_IN * BATCH];
static u8 outbuf[CASE_OUT * BATCH];

static int read_full(u8 *p, int n) {
  int got = 0;
  while (got < n) {
    long r = sys6(0, 0, (long)(p + got), n - got, 0, 0, 0);
    if (r <= 0) break;
    got += (int)r;
  }
  return got;
}
static int write_full(const u8 *p, int n) {
  while (n > 0) {
    long r = sys6(1, 1, (long)p, n, 0, 0, 0);
    if (r <= 0) return -1;
    p += r; n -= (int)r;
  }
  return 0;
}

int harness_main(void) {
  if (mmap_fixed(CODE_PAGE, 4096, 7) != (long)CODE_PAGE) return 3;
  if (mmap_fixed(MEM_PAGE, 4096, 3) != (long)MEM_PAGE) return 4;
  *(volatile u64 *)(u64)BACK_PTR = (u64)&back_to_harness;
  for (;;) {
    int got = read_full(inbuf, sizeof inbuf);
    if (got % CASE_IN) return 5;
    int n = got / CASE_IN;
    for (int k = 0; k < n; k++) {
      const u8 *in = inbuf + k * CASE_IN;
      u8 *out = outbuf + k * CASE_OUT;
      const u32 *regs = (const u32 *)(in + CODE_BYTES);
      memcpy((void *)(u64)CODE_PAGE, in, CODE_BYTES);
      u8 *window = (u8 *)(u64)regs[9];
      if ((u64)window < MEM_PAGE || (u64)window + MEM_SIZE > MEM_PAGE + 4096) return 7;
      memcpy(window, in + CODE_BYTES + 40, MEM_SIZE);
      ctx[0] = regs[8];
      /* regs[] order EAX ECX EDX EBX ESP EBP ESI EDI; ctx after RFLAGS: RDI RSI RBP RBX RDX RCX RAX. */
      ctx[1] = regs[7]; ctx[2] = regs[6]; ctx[3] = regs[5]; ctx[4] = regs[3];
      ctx[5] = regs[2]; ctx[6] = regs[1]; ctx[7] = regs[0];
      run_case(ctx);
      u32 *o = (u32 *)out;
      o[0] = (u32)ctx[7]; o[1] = (u32)ctx[6]; o[2] = (u32)ctx[5]; o[3] = (u32)ctx[4];
      o[4] = 0; o[5] = (u32)ctx[3]; o[6] = (u32)ctx[2]; o[7] = (u32)ctx[1];
      o[8] = (u32)ctx[0];
      memcpy(out + 36, window, MEM_SIZE);
    }
    if (n && write_full(outbuf, n * CASE_OUT)) return 6;
    if (got < (int)sizeof inbuf) return 0;
  }
}
