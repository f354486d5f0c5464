; Floppy boot sector for `npm run compare` (scripts/compare.mjs): boots a Multiboot fixture on PC
; emulators that have a BIOS but no Multiboot loader (Bochs, v86). compare.mjs appends the kernel's
; loadable segments as one flat image (ELF program headers, LMA order) and patches the parameter
; block below. The sector loads the image with INT 13h to 0x10000, enables A20, enters flat 32-bit
; protected mode, copies the image to its load address, zeroes the rest of the memory image (.bss),
; and enters the kernel in the Multiboot v1 machine state: EAX = 0x2BADB002, EBX = a Multiboot
; information structure (flags bit 0: mem_lower/mem_upper), flat CS/DS, paging and interrupts off.
; Build: nasm -f bin -o boot.bin compareBoot.asm
bits 16
org 0x7c00

start:
  cli
  xor ax, ax
  mov ds, ax
  mov ss, ax
  mov sp, 0x7c00
  mov [drive], dl
  mov bx, 0x1000              ; segment of the next sector's buffer (linear 0x10000 on)
  mov word [lba], 1
.next:
  cmp word [sectors], 0
  je .loaded
  mov ax, [lba]               ; LBA -> CHS for a 1.44 MB floppy (18 sectors per track, 2 heads)
  xor dx, dx
  mov cx, 18
  div cx
  mov cl, dl
  inc cl                      ; sector (1-based)
  xor dx, dx
  mov si, 2
  div si
  mov ch, al                  ; cylinder
  mov dh, dl                  ; head
  mov dl, [drive]
  mov es, bx
  push bx
  xor bx, bx
  mov di, 3                   ; tries
.read:
  mov ax, 0x0201
  int 0x13
  jnc .ok
  xor ax, ax
  int 0x13                    ; reset the drive, try again
  dec di
  jnz .read
  jmp fail
.ok:
  pop bx
  add bx, 0x20
  inc word [lba]
  dec word [sectors]
  jmp .next
.loaded:
  in al, 0x92                 ; fast A20
  or al, 2
  and al, 0xfe
  out 0x92, al
  lgdt [gdtr]
  mov eax, cr0
  or eax, 1
  mov cr0, eax
  jmp 0x08:pm

fail:
  mov si, failmsg
.c:
  lodsb
  test al, al
  jz .h
  mov dx, 0xe9
  out dx, al
  jmp .c
.h:
  hlt
  jmp .h

bits 32
pm:
  mov ax, 0x10
  mov ds, ax
  mov es, ax
  mov ss, ax
  mov fs, ax
  mov gs, ax
  mov esp, 0x7c00
  cld
  mov esi, 0x10000
  mov edi, [load_addr]
  mov ecx, [file_size]
  rep movsb
  mov ecx, [mem_size]
  sub ecx, [file_size]
  xor eax, eax
  rep stosb
  mov eax, 0x2badb002
  mov ebx, mbi
  jmp [entry]

align 8
gdt:
  dq 0
  dq 0x00cf9b000000ffff       ; 0x08: code, flat 4 GiB
  dq 0x00cf93000000ffff       ; 0x10: data, flat 4 GiB
gdtr:
  dw gdtr - gdt - 1
  dd gdt
drive: db 0
lba: dw 0
failmsg: db "compareBoot: disk read failed", 10, 0

; Multiboot information and parameter block, patched by compare.mjs (offsets in the sector).
times 0x1d0 - ($ - $$) db 0
mbi:
  dd 1                        ; 0x1d0 flags: mem_lower / mem_upper valid
  dd 639                      ; 0x1d4 mem_lower (KiB)
  dd 0                        ; 0x1d8 mem_upper: KiB above 1 MiB
times 0x1e0 - ($ - $$) db 0
sectors: dw 0                 ; 0x1e0 sectors of image after this one
  dw 0
load_addr: dd 0               ; 0x1e4 physical address of the image's first byte
file_size: dd 0               ; 0x1e8 bytes in the image
mem_size: dd 0                ; 0x1ec bytes the image occupies in memory (image + zeroed rest)
entry: dd 0                   ; 0x1f0 entry point
times 510 - ($ - $$) db 0
dw 0xaa55
