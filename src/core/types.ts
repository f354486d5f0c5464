// Address kinds, in KVM's vocabulary (Documentation/virt/kvm/x86/mmu.rst):
//   Gva: guest virtual (linear) address, Gpa: guest physical, Hpa: host physical.
// They are plain numbers at run time; the brands stop one kind being passed where another is meant.
export type Gva = number & { readonly __addr: 'Gva' };
export type Gpa = number & { readonly __addr: 'Gpa' };
export type Hpa = number & { readonly __addr: 'Hpa' };

export const gva = (n: number): Gva => (n >>> 0) as Gva;
export const gpa = (n: number): Gpa => (n >>> 0) as Gpa;
export const hpa = (n: number): Hpa => (n >>> 0) as Hpa;

export const hex = (n: number, digits = 8): string => '0x' + (n >>> 0).toString(16).padStart(digits, '0');
