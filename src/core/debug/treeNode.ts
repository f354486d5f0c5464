// A lazily expandable tree for the debugger's inspection views (page tables, EPT, descriptor tables,
// the VMM handler frame, devices, statistics): plain data plus a thunk for the children, so a huge
// table costs nothing until the user opens it.
export interface TreeNode {
  name: string;
  value: string;
  /** Shown as the variable's type (SDM name, encoding, units). */
  type?: string;
  /** Memory the node is about: "0x00100000" (guest-virtual) or "gpa:0x00001000". */
  memoryReference?: string;
  children?: () => TreeNode[];
}

export const hex8 = (n: number): string => '0x' + (n >>> 0).toString(16).padStart(8, '0');
export const hex = (n: number): string => '0x' + (n >>> 0).toString(16);
