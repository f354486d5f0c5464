# biosrom: the smallest useful PC firmware. The CPU starts at the reset vector (CS = F000 with base
# FFFF0000, IP = FFF0, real mode); a far jump there moves to F000:start, which is the same ROM seen
# through its alias below 1 MiB. It sets up segments and a stack, reports progress as POST codes on
# port 0x80 and as text on the 0xE9 debug console, checks the alias and RAM, and ends the VM through
# the isa-debug-exit port 0xF4 (value 0: status 1).
        .code16
        .text
        .globl reset
signature:
        .ascii "VMMDBIOS"
start:
        cli
        movb $0x01, %al
        outb %al, $0x80
        xorw %ax, %ax
        movw %ax, %ds
        movw %ax, %es
        movw %ax, %ss
        movw $0x7000, %sp
        movb $0x02, %al
        outb %al, $0x80
        movw $msg_reset, %si
        call puts
        # The ROM's first bytes, seen at F000:0000 (the alias of the last 64 KiB below 1 MiB).
        movw $0xf000, %ax
        movw %ax, %fs
        cmpl $0x444d4d56, %fs:0         # "VMMD"
        jne fail
        movw $msg_alias, %si
        call puts
        movb $0x03, %al
        outb %al, $0x80
        # RAM: write and read back a pattern at 0000:1000 (the stack at 0000:7000 already worked).
        movl $0x12345678, 0x1000
        cmpl $0x12345678, 0x1000
        jne fail
        movw $msg_ram, %si
        call puts
        movb $0x04, %al
        outb %al, $0x80
        movw $msg_done, %si
        call puts
        movb $0, %al
        outb %al, $0xf4
        hlt
fail:
        movw $msg_fail, %si
        call puts
        movb $1, %al
        outb %al, $0xf4
        hlt

# CS:SI = string (in the ROM), to the 0xE9 debug console.
puts:
        movb %cs:(%si), %al
        testb %al, %al
        jz 1f
        outb %al, $0xe9
        incw %si
        jmp puts
1:      ret

msg_reset: .asciz "biosrom: reset vector reached\n"
msg_alias: .asciz "biosrom: ROM alias at F000:0000 ok\n"
msg_ram:   .asciz "biosrom: RAM ok\n"
msg_done:  .asciz "biosrom done\n"
msg_fail:  .asciz "biosrom: FAILED\n"

        .org 0xfff0
reset:
        ljmp $0xf000, $start
        .org 0x10000
