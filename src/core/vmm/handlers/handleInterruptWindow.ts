// Exits that exist so the hypervisor gets control back at the right moment; the work happens in
// prepareEntry (irqInjection.ts) before the next VM entry:
//  - EXTERNAL_INTERRUPT (1): a host interrupt (the VMM's kick after user input) with external-interrupt exiting;
//  - INTERRUPT_WINDOW (7): the guest can now take the interrupt the controller holds (SDM 26.7.5);
//  - PREEMPTION_TIMER (52): a device deadline has come (SDM 26.5.1).
import type { ExitHandler } from '../exitHandler';

export const handleExternalInterrupt: ExitHandler = () => undefined;
export const handleInterruptWindow: ExitHandler = () => undefined;
/** NMI_WINDOW (8): the guest's IRET ended blocking by NMI; prepareEntry injects the held NMI (SDM 26.7.6). */
export const handleNmiWindow: ExitHandler = () => undefined;
export const handlePreemptionTimer: ExitHandler = () => undefined;
