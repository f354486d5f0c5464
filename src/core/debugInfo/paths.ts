// Path arithmetic for the file names debug information records (compilation directory +
// include directory + file name), without node:path: the core is pure. Both POSIX paths and
// Windows paths (drive letters, backslashes) appear in real debug info.

export function isAbsolutePath(p: string): boolean {
  return p.startsWith('/') || p.startsWith('\\') || /^[A-Za-z]:[\\/]/.test(p);
}

/** Joins `parts` left to right (an absolute part restarts), then folds "." and ".." segments. */
export function joinPath(...parts: (string | undefined)[]): string {
  let out = '';
  for (const p of parts) {
    if (!p) continue;
    if (!out || isAbsolutePath(p)) out = p;
    else out = out.replace(/[\\/]+$/, '') + (out.includes('\\') && !out.includes('/') ? '\\' : '/') + p;
  }
  return normalizePath(out);
}

export function normalizePath(p: string): string {
  const sep = p.includes('\\') && !p.includes('/') ? '\\' : '/';
  const drive = /^[A-Za-z]:/.exec(p)?.[0] ?? '';
  const rest = p.slice(drive.length);
  const absolute = rest.startsWith('/') || rest.startsWith('\\');
  const segs: string[] = [];
  for (const s of rest.split(/[\\/]+/)) {
    if (s === '' || s === '.') continue;
    if (s === '..' && segs.length && segs[segs.length - 1] !== '..') segs.pop();
    else if (s === '..' && absolute) continue;
    else segs.push(s);
  }
  return drive + (absolute ? sep : '') + segs.join(sep);
}

export function baseName(p: string): string {
  const m = /[^\\/]*$/.exec(p);
  return m ? m[0] : p;
}
