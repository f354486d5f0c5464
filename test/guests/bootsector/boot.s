# bootsector: a real-mode boot sector and its second stage, as a PC BIOS boots them.
# Stage 1 (sector 0, at 0000:7C00, DL = boot drive) prints with INT 10h teletype and loads stage 2
# with INT 13h AH=42h. Stage 2 checks the BIOS services a small OS needs (INT 13h CHS and extended
# reads/writes and parameters, INT 10h, E820, INT 15h E801h, INT 1Ah ticks, INT 16h, INT 12h, A20 by
# INT 15h, by the 8042 and by port 0x92, memory wrapping at 1 MiB while the gate is off), switches to
# 32-bit protected mode (A20 masking again there) and reads the disk by ATA PIO.
# Every check prints "PASS name" or "FAIL name" on COM1; the guest exits through port 0xF4
# (0: all passed). The image is 32 KiB (64 sectors); sector 40 is scratch for the write test.
        .code16
        .text
        .globl _start
        .set STAGE2_SECTORS, 8
        .set SCRATCH_LBA, 40
        .set IMAGE_SECTORS, 64
        .set COM1, 0x3f8
_start:
        cli
        xorw %ax, %ax
        movw %ax, %ds
        movw %ax, %es
        movw %ax, %ss
        movw $0x7c00, %sp
        ljmp $0, $1f                    # CS:IP = 0000:7Cxx whatever the BIOS jumped with
1:      sti
        cld
        movb %dl, boot_drive
        movw $msg_stage1, %si
        call bios_puts
        movb $0x41, %ah                 # EDD installation check
        movw $0x55aa, %bx
        movb boot_drive, %dl
        int $0x13
        jc no_edd
        cmpw $0xaa55, %bx
        jne no_edd
        movw $dap_stage2, %si           # extended read: stage 2 to 0000:7E00
        movb $0x42, %ah
        movb boot_drive, %dl
        int $0x13
        jc read_failed
        jmp stage2
no_edd:
        movw $msg_no_edd, %si
        jmp 2f
read_failed:
        movw $msg_read_failed, %si
2:      call bios_puts
        movb $2, %al
        outb %al, $0xf4
        cli
        hlt

# SI = NUL-terminated string, printed with INT 10h AH=0Eh.
bios_puts:
        lodsb
        testb %al, %al
        jz 1f
        movb $0x0e, %ah
        movw $0x0007, %bx
        int $0x10
        jmp bios_puts
1:      ret

        .balign 4
dap_stage2:
        .byte 0x10, 0
        .word STAGE2_SECTORS
        .word 0x7e00, 0x0000
        .long 1, 0
boot_drive: .byte 0
msg_stage1:      .asciz "bootsector: stage 1\r\n"
msg_no_edd:      .asciz "no INT 13h extensions\r\n"
msg_read_failed: .asciz "stage 2 read failed\r\n"

        .org 510
        .word 0xaa55

# ---------------------------------------------------------------------------------------------
# Stage 2 (LBA 1.., at 0000:7E00)
stage2:
        call com_init
        movw $s_loaded, %si
        call com_puts
        clc
        movw $t_ext_read, %si
        call result

        # INT 13h AH=02h: CHS (0,0,2) = LBA 1 into 1000:0000, equal to what AH=42h put at 0000:7E00.
        movw $0x1000, %ax
        movw %ax, %es
        xorw %bx, %bx
        movw $0x0201, %ax
        movw $0x0002, %cx
        movb $0, %dh
        movb boot_drive, %dl
        int $0x13
        jc 1f
        xorw %di, %di
        movw $0x7e00, %si
        movw $512, %cx
        repe cmpsb
        clc
        je 1f
        stc
1:      movw $t_chs_read, %si
        call result

        # INT 13h AH=43h: write a pattern to the scratch sector from 2000:0000, read it back with
        # AH=42h into 3000:0000 and compare.
        movw $0x2000, %ax
        movw %ax, %es
        xorw %di, %di
        xorw %cx, %cx
1:      movb %cl, %al
        xorb $0x5a, %al
        stosb
        incw %cx
        cmpw $512, %cx
        jb 1b
        movw $dap_write, %si
        movw $0x4300, %ax
        movb boot_drive, %dl
        int $0x13
        jc 2f
        movw $dap_readback, %si
        movb $0x42, %ah
        movb boot_drive, %dl
        int $0x13
        jc 2f
        pushw %ds
        movw $0x2000, %ax
        movw %ax, %ds
        movw $0x3000, %ax
        movw %ax, %es
        xorw %si, %si
        xorw %di, %di
        movw $512, %cx
        repe cmpsb
        popw %ds
        clc
        je 2f
        stc
2:      movw $t_write, %si
        call result

        # INT 13h AH=08h: at least one hard disk; AH=48h: the image's sector count.
        movb $0x08, %ah
        movb boot_drive, %dl
        xorw %di, %di
        movw %di, %es
        int $0x13
        jc 1f
        cmpb $1, %dl
        jb 3f
        movw $0x1e, edd_params
        movw $edd_params, %si
        movb $0x48, %ah
        movb boot_drive, %dl
        int $0x13
        jc 1f
        cmpl $IMAGE_SECTORS, edd_params + 16
        jne 3f
        cmpl $0, edd_params + 20
        jne 3f
        cmpw $512, edd_params + 24
        jne 3f
        clc
        jmp 1f
3:      stc
1:      movw $t_params, %si
        call result

        # INT 10h: teletype a character at the cursor (after a CR) and find it in B800 with the cursor moved.
        movw $0x0e0d, %ax
        movw $0x0007, %bx
        int $0x10
        movb $0x03, %ah
        movb $0, %bh
        int $0x10
        movb %dh, %al                   # row
        movb $80, %cl
        mulb %cl
        movb %dl, %cl
        xorb %ch, %ch
        addw %cx, %ax
        shlw $1, %ax
        movw %ax, %di
        pushw %dx                       # cursor before
        movw $0x0e23, %ax               # '#'
        movw $0x0007, %bx
        int $0x10
        movb $0x03, %ah                 # (returns the cursor shape in CX, the position in DX)
        movb $0, %bh
        int $0x10
        popw %cx
        incb %cl
        cmpw %cx, %dx
        jne 3f
        movw $0xb800, %ax
        movw %ax, %es
        cmpb $'#', %es:(%di)
        jne 3f
        clc
        jmp 1f
3:      stc
1:      movw $t_int10, %si
        call result

        # INT 15h E820: a usable range at 0 and one at 1 MiB of at least 1 MiB; the loop ends with EBX = 0.
        xorw %ax, %ax
        movw %ax, %es
        xorl %ebx, %ebx
        movw $0, e820_flags
        movw $32, e820_left
1:      movl $0xe820, %eax
        movl $0x534d4150, %edx
        movl $20, %ecx
        movw $e820_buf, %di
        int $0x15
        jc 3f
        cmpl $0x534d4150, %eax
        jne 3f
        cmpl $1, e820_buf + 16
        jne 2f
        cmpl $0, e820_buf + 4
        jne 2f
        cmpl $0, e820_buf
        jne 4f
        orw $1, e820_flags
4:      cmpl $0x100000, e820_buf
        jne 2f
        cmpl $0x100000, e820_buf + 8
        jb 2f
        orw $2, e820_flags
2:      testl %ebx, %ebx
        jz 5f
        decw e820_left
        jnz 1b
        jmp 3f
5:      cmpw $3, e820_flags
        jne 3f
        clc
        jmp 1f
3:      stc
1:      movw $t_e820, %si
        call result

        # INT 15h E801h: 15 MiB between 1 and 16 MiB (the machine has more than 16 MiB); AH=88h: non-zero.
        movw $0xe801, %ax
        int $0x15
        jc 1f
        cmpw $0x3c00, %ax
        jne 3f
        cmpw $0x3c00, %cx
        jne 3f
        movb $0x88, %ah
        int $0x15
        jc 1f
        testw %ax, %ax
        jz 3f
        clc
        jmp 1f
3:      stc
1:      movw $t_e801, %si
        call result

        # INT 12h: conventional memory in KiB, 512..640.
        int $0x12
        cmpw $512, %ax
        jb 3f
        cmpw $640, %ax
        ja 3f
        clc
        jmp 1f
3:      stc
1:      movw $t_int12, %si
        call result

        # INT 1Ah AH=00h: the BIOS tick count advances while we wait with interrupts on (IRQ0, INT 08h).
        xorb %ah, %ah
        int $0x1a
        movw %dx, ticks0
        movw %cx, ticks0 + 2
        movw $100, e820_left
2:      sti
        hlt
        xorb %ah, %ah
        int $0x1a
        cmpw ticks0, %dx
        jne 4f
        cmpw ticks0 + 2, %cx
        jne 4f
        decw e820_left
        jnz 2b
        stc
        jmp 1f
4:      clc
1:      movw $t_ticks, %si
        call result

        # INT 16h AH=01h: no key waiting (ZF = 1); AH=02h answers too.
        movb $0x01, %ah
        int $0x16
        jnz 3f
        movb $0x02, %ah
        int $0x16
        clc
        jmp 1f
3:      stc
1:      movw $t_int16, %si
        call result

        # A20 by INT 15h AX=2401h, then reported on by AX=2402h.
        movw $0x2401, %ax
        int $0x15
        jc 1f
        movw $0x2402, %ax
        int $0x15
        jc 1f
        cmpb $1, %al
        je 1f
        stc
1:      movw $t_a20_bios, %si
        call result

        # A20 by the 8042: write the output port (D1h) with the gate set, read it back (D0h), and see that
        # 0000:0600 and FFFF:0610 (= 0x100600) are different memory. Interrupts off, so that the BIOS's
        # IRQ1 handler does not take the controller's reply; stale output bytes flushed first.
        cli
2:      inb $0x64, %al
        testb $0x01, %al
        jz 2f
        inb $0x60, %al
        jmp 2b
2:      call kbc_wait_in
        movb $0xd1, %al
        outb %al, $0x64
        call kbc_wait_in
        movb $0xdf, %al
        outb %al, $0x60
        call kbc_wait_in
        movb $0xd0, %al
        outb %al, $0x64
        call kbc_wait_out
        jc 1f
        inb $0x60, %al
        testb $0x02, %al
        jz 3f
        xorw %ax, %ax
        movw %ax, %fs
        decw %ax
        movw %ax, %gs
        movb $0x12, %fs:0x600
        movb $0x34, %gs:0x610
        cmpb $0x12, %fs:0x600
        jne 3f
        clc
        jmp 1f
3:      stc
1:      movw $t_a20_kbc, %si
        call result

        # A20 off: 8042 output port bit 1 = 0 and port 0x92 bit 1 = 0 (the chipset ORs the two). With
        # A20M# asserted, bit 20 of every address is 0: FFFF:0610 (0x100600) is 0000:0600 again.
        cli
        xorw %ax, %ax
        movw %ax, %fs
        decw %ax
        movw %ax, %gs
        call kbc_wait_in
        movb $0xd1, %al
        outb %al, $0x64
        call kbc_wait_in
        movb $0xdd, %al
        outb %al, $0x60
        call kbc_wait_in
        inb $0x92, %al
        andb $0xfc, %al                 # bit 0 = 1 would reset the machine
        outb %al, $0x92
        movb $0x56, %fs:0x600
        movb $0x78, %gs:0x610
        cmpb $0x78, %fs:0x600
        je 2f
        stc
        jmp 1f
2:      clc
1:      movw $t_a20_off, %si
        call result

        # Fast A20: port 0x92 bit 1 alone opens the gate again; 0x100600 is its own memory.
        inb $0x92, %al
        orb $0x02, %al
        andb $0xfe, %al
        outb %al, $0x92
        movb $0x9a, %fs:0x600
        movb $0xbc, %gs:0x610
        cmpb $0x9a, %fs:0x600
        jne 3f
        cmpb $0xbc, %gs:0x610
        jne 3f
        inb $0x92, %al
        testb $0x02, %al
        jz 3f
        clc
        jmp 1f
3:      stc
1:      movw $t_a20_fast, %si
        call result

        # Protected mode: flat GDT, CR0.PE, far jump to 32-bit code.
        cli
        lgdtl gdt_desc
        movl %cr0, %eax
        orl $1, %eax
        movl %eax, %cr0
        ljmpl $0x08, $pm32

# CF = 0: PASS, CF = 1: FAIL; SI = the check's name.
result:
        pushw %si
        movw $s_pass, %si
        jnc 1f
        movw $s_fail, %si
        incw failures
1:      call com_puts
        popw %si
        call com_puts
        movb $'\n', %al
        jmp com_putc

com_init:
        movw $COM1 + 1, %dx
        movb $0x00, %al
        outb %al, %dx                   # IER = 0
        movw $COM1 + 3, %dx
        movb $0x80, %al
        outb %al, %dx                   # DLAB
        movw $COM1, %dx
        movb $0x01, %al
        outb %al, %dx                   # divisor 1
        movw $COM1 + 1, %dx
        movb $0x00, %al
        outb %al, %dx
        movw $COM1 + 3, %dx
        movb $0x03, %al
        outb %al, %dx                   # 8N1
        movw $COM1 + 2, %dx
        movb $0xc7, %al
        outb %al, %dx                   # FIFOs on, cleared, trigger 14
        movw $COM1 + 4, %dx
        movb $0x03, %al
        outb %al, %dx                   # DTR, RTS
        ret

com_puts:
        lodsb
        testb %al, %al
        jz 1f
        call com_putc
        jmp com_puts
1:      ret

com_putc:
        pushw %dx
        pushw %ax
        movw $COM1 + 5, %dx
1:      inb %dx, %al
        testb $0x20, %al
        jz 1b
        popw %ax
        movw $COM1, %dx
        outb %al, %dx
        popw %dx
        ret

kbc_wait_in:                            # until the 8042's input buffer is empty
        pushw %cx
        movw $0xffff, %cx
1:      inb $0x64, %al
        testb $0x02, %al
        loopnz 1b
        popw %cx
        ret
kbc_wait_out:                           # until the 8042's output buffer is full (CF = 1: timed out)
        pushw %cx
        movw $0xffff, %cx
1:      inb $0x64, %al
        testb $0x01, %al
        jnz 2f
        loop 1b
        popw %cx
        stc
        ret
2:      popw %cx
        clc
        ret

# ---------------------------------------------------------------------------------------------
        .code32
pm32:
        movw $0x10, %ax
        movw %ax, %ds
        movw %ax, %es
        movw %ax, %ss
        movw %ax, %fs
        movw %ax, %gs
        movl $0x90000, %esp
        movl $0xdeadbeef, 0x200000
        cmpl $0xdeadbeef, 0x200000
        setne %al
        movl $t_pm, %esi
        call result32

        # A20 in protected mode (under --mmu shadow this runs on shadow page tables): port 0x92 bit 1 off
        # (the 8042's gate is still off) aliases 0x100600 to 0x600; on again, they are distinct.
        inb $0x92, %al
        andb $0xfc, %al
        outb %al, $0x92
        movl $0x11223344, 0x600
        movl $0x55667788, 0x100600
        cmpl $0x55667788, 0x600
        setne %bl
        inb $0x92, %al
        orb $0x02, %al
        andb $0xfe, %al
        outb %al, $0x92
        movl $0x99aabbcc, 0x100600
        cmpl $0x55667788, 0x600
        setne %al
        orb %bl, %al
        movl $t_a20_pm, %esi
        call result32

        # ATA PIO on the primary master: IDENTIFY DEVICE, words 60-61 = the image's sectors.
        movw $0x1f6, %dx
        movb $0xa0, %al
        outb %al, %dx
        movw $0x1f7, %dx
        movb $0xec, %al
        outb %al, %dx
        call ata_wait_drq
        jc 1f
        movl $0x300000, %edi
        movl $256, %ecx
        movw $0x1f0, %dx
        rep insw
        cmpl $IMAGE_SECTORS, 0x300000 + 120
        setne %al
        jmp 2f
1:      movb $1, %al
2:      movl $t_ata_identify, %esi
        call result32

        # ATA READ SECTORS (LBA28) of sector 0: the boot signature at 510.
        movl $0, %eax
        call ata_read
        jc 1f
        cmpw $0xaa55, 0x300000 + 510
        setne %al
        jmp 2f
1:      movb $1, %al
2:      movl $t_ata_read, %esi
        call result32

        # ATA READ SECTORS of the scratch sector: the data INT 13h wrote.
        movl $SCRATCH_LBA, %eax
        call ata_read
        jc 1f
        movl $0x300000, %esi
        xorl %ecx, %ecx
3:      movb %cl, %al
        xorb $0x5a, %al
        cmpb (%esi,%ecx), %al
        jne 1f
        incl %ecx
        cmpl $512, %ecx
        jb 3b
        movb $0, %al
        jmp 2f
1:      movb $1, %al
2:      movl $t_ata_sees_write, %esi
        call result32

        movl $s_done, %esi
        call com_puts32
        xorl %eax, %eax
        cmpw $0, failures
        je 1f
        movb $1, %al
1:      outb %al, $0xf4
        cli
        hlt

# EAX = LBA: READ SECTORS of one sector into 0x300000 (CF = 1 on error or timeout).
ata_read:
        movl %eax, %ebx
        movw $0x1f6, %dx
        shrl $24, %eax
        andb $0x0f, %al
        orb $0xe0, %al
        outb %al, %dx
        movw $0x1f2, %dx
        movb $1, %al
        outb %al, %dx
        movl %ebx, %eax
        movw $0x1f3, %dx
        outb %al, %dx
        movb %ah, %al
        movw $0x1f4, %dx
        outb %al, %dx
        shrl $16, %eax
        movw $0x1f5, %dx
        outb %al, %dx
        movw $0x1f7, %dx
        movb $0x20, %al
        outb %al, %dx
        call ata_wait_drq
        jc 1f
        movl $0x300000, %edi
        movl $256, %ecx
        movw $0x1f0, %dx
        rep insw
        clc
1:      ret

# Poll status until BSY = 0 and DRQ = 1 (CF = 1: ERR set or timed out).
ata_wait_drq:
        movl $1000000, %ecx
        movw $0x1f7, %dx
1:      inb %dx, %al
        testb $0x80, %al
        jnz 2f
        testb $0x01, %al
        jnz 3f
        testb $0x08, %al
        jnz 4f
2:      loop 1b
3:      stc
        ret
4:      clc
        ret

# AL = 0: PASS, else FAIL; ESI = the check's name.
result32:
        pushl %esi
        movl $s_pass, %esi
        testb %al, %al
        jz 1f
        movl $s_fail, %esi
        incw failures
1:      call com_puts32
        popl %esi
        call com_puts32
        movb $'\n', %al
        jmp com_putc32

com_puts32:
        lodsb
        testb %al, %al
        jz 1f
        call com_putc32
        jmp com_puts32
1:      ret

com_putc32:
        pushl %edx
        pushl %eax
        movw $COM1 + 5, %dx
1:      inb %dx, %al
        testb $0x20, %al
        jz 1b
        popl %eax
        movw $COM1, %dx
        outb %al, %dx
        popl %edx
        ret

# ---------------------------------------------------------------------------------------------
        .balign 8
gdt:    .quad 0
        .quad 0x00cf9a000000ffff        # 0x08: flat 32-bit code
        .quad 0x00cf92000000ffff        # 0x10: flat data
gdt_desc:
        .word gdt_desc - gdt - 1
        .long gdt
        .balign 4
dap_write:
        .byte 0x10, 0
        .word 1
        .word 0x0000, 0x2000
        .long SCRATCH_LBA, 0
dap_readback:
        .byte 0x10, 0
        .word 1
        .word 0x0000, 0x3000
        .long SCRATCH_LBA, 0
failures:    .word 0
ticks0:      .long 0
e820_flags:  .word 0
e820_left:   .word 0
        .balign 4
e820_buf:    .fill 24, 1, 0
edd_params:  .fill 0x1e, 1, 0
s_loaded:    .asciz "bootsector: stage 2 loaded by INT 13h AH=42h\n"
s_pass:      .asciz "PASS "
s_fail:      .asciz "FAIL "
s_done:      .asciz "bootsector done\n"
t_ext_read:  .asciz "int13 extended read (AH=41h, AH=42h)"
t_chs_read:  .asciz "int13 CHS read (AH=02h)"
t_write:     .asciz "int13 extended write and read back (AH=43h, AH=42h)"
t_params:    .asciz "int13 drive parameters (AH=08h, AH=48h)"
t_int10:     .asciz "int10 teletype and cursor (AH=0Eh, AH=03h)"
t_e820:      .asciz "int15 E820 memory map"
t_e801:      .asciz "int15 E801h and AH=88h"
t_int12:     .asciz "int12 conventional memory"
t_ticks:     .asciz "int1a tick count advances (IRQ0, INT 08h)"
t_int16:     .asciz "int16 keyboard status (AH=01h, AH=02h)"
t_a20_bios:  .asciz "a20 by int15 (AX=2401h, AX=2402h)"
t_a20_kbc:   .asciz "a20 by the 8042 output port"
t_a20_off:   .asciz "a20 off: FFFF:0610 wraps to 0000:0600"
t_a20_fast:  .asciz "a20 by port 0x92 (fast A20)"
t_a20_pm:    .asciz "a20 masking in protected mode (port 0x92)"
t_pm:        .asciz "protected mode, memory above 1 MiB"
t_ata_identify: .asciz "ata identify (primary master, LBA28 sectors)"
t_ata_read:  .asciz "ata read sectors (LBA 0, boot signature)"
t_ata_sees_write: .asciz "ata read sectors sees the int13 write"

        .org 512 * (1 + STAGE2_SECTORS)
        .org 512 * IMAGE_SECTORS
