/*
 * pic.c - the two 8259A PICs. teachos uses the APICs, so it moves the PICs' vectors out of
 * the exception range (0x20-0x2f, should one still fire) and masks every line.
 */
#include "kernel.h"
#include "x86.h"

void pic_disable(void)
{
    outb(0x20, 0x11); outb(0xa0, 0x11); /* ICW1: edge, cascade, ICW4 follows */
    outb(0x21, T_IRQ0); outb(0xa1, T_IRQ0 + 8);   /* ICW2: vector bases */
    outb(0x21, 0x04); outb(0xa1, 0x02); /* ICW3: slave on IRQ2 */
    outb(0x21, 0x01); outb(0xa1, 0x01); /* ICW4: 8086 mode */
    outb(0x21, 0xff); outb(0xa1, 0xff); /* OCW1: mask all */
}
