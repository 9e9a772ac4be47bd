// The host side of Lua's `io` and file-touching `os` functions under server.lua_allow_io: real files through
// node's fs, synchronous (a script reads at its top level and inside calls), each read bounded.
//
// Semantics follow gopher-lua 1.1 (the Lua of Nauthilus 1.10): open modes r/w/a/r+/w+/a+ (b allowed),
// errors as (nil, Go-style message, 1), "*l" drops "\n" or "\r\n", "*a" at end of file is "", reads of a
// closed or write-only file fail as gopher-lua's do. stdin is always at end of file; stdout and stderr go
// to the engine log (a server has no terminal). Nothing here ends or takes over the engine process.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import { LuaMultiReturn } from 'wasmoon';
import type { Logger } from 'pino';

/** How many files one VM may hold open at once (a script that forgets close() cannot exhaust descriptors). */
export const MAX_OPEN_FILES = 64;
const CHUNK = 64 * 1024;

const C = fs.constants;
// O_NONBLOCK: opening a FIFO must not wait for a writer (open refuses anything but regular files and /dev/null)
const OPEN_FLAGS: Record<string, { flags: number; readable: boolean; writable: boolean; append: boolean }> = {
  r: { flags: C.O_RDONLY, readable: true, writable: false, append: false },
  w: { flags: C.O_WRONLY | C.O_CREAT | C.O_TRUNC, readable: false, writable: true, append: false },
  a: { flags: C.O_WRONLY | C.O_CREAT | C.O_APPEND, readable: false, writable: true, append: true },
  'r+': { flags: C.O_RDWR, readable: true, writable: true, append: false },
  'w+': { flags: C.O_RDWR | C.O_CREAT | C.O_TRUNC, readable: true, writable: true, append: false },
  'a+': { flags: C.O_RDWR | C.O_CREAT | C.O_APPEND, readable: true, writable: true, append: true },
};

const OPEN_MODES = ['r', 'rb', 'w', 'wb', 'a', 'ab', 'r+', 'rb+', 'w+', 'wb+', 'a+', 'ab+'];

/** Go's wording of the common errno values ("open x: no such file or directory"). */
const GO_ERRNO: Record<string, string> = {
  ENOENT: 'no such file or directory', EACCES: 'permission denied', EPERM: 'operation not permitted',
  EISDIR: 'is a directory', ENOTDIR: 'not a directory', EEXIST: 'file exists', ENOTEMPTY: 'directory not empty',
  EXDEV: 'invalid cross-device link', EMFILE: 'too many open files', ENOSPC: 'no space left on device',
  EROFS: 'read-only file system', EBUSY: 'device or resource busy', ELOOP: 'too many levels of symbolic links',
  ENAMETOOLONG: 'file name too long', EINVAL: 'invalid argument',
};

/** "op path: reason" as Go's os package words it. */
export function goError(op: string, target: string, e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  const reason = (err?.code && GO_ERRNO[err.code]) || String(err?.message ?? e).replace(/^[A-Z]+: /, '').replace(/, \w+ '.*'$/, '');
  return `${op} ${target}: ${reason}`;
}

type Std = 'stdin' | 'stdout' | 'stderr';

interface OpenFile {
  name: string;
  fd: number;
  std?: Std;
  readable: boolean;
  writable: boolean;
  append: boolean;
  /** Bytes read ahead of the script, starting at the script's position. */
  rbuf: Buffer;
  /** Where the next fs read starts (the script's position is filePos - rbuf.length). */
  filePos: number;
  eof: boolean;
}

const fail = (msg: string) => LuaMultiReturn.from([undefined, msg, 1]);

/** The open files of one VM, and the functions io.lua builds `io` and `os` from. */
export class HostFiles {
  private readonly files = new Map<number, OpenFile>();
  private nextId = 4;

  /**
   * @param maxReadBytes what one read may return (lua_memory_limit): a bigger "*a" or line is an error
   * @param baseDir relative paths resolve against it (the config file's directory), as everywhere in the engine
   */
  constructor(private readonly logger: Logger, private readonly poolName: string, private readonly maxReadBytes: number, private readonly baseDir: string) {
    const std = (id: number, s: Std) => this.files.set(id, { name: s, fd: -1, std: s, readable: s === 'stdin', writable: s !== 'stdin', append: false, rbuf: Buffer.alloc(0), filePos: 0, eof: true });
    std(1, 'stdin');
    std(2, 'stdout');
    std(3, 'stderr');
  }

  /** The functions io.lua gets as `__as_io_host` (all synchronous). */
  api(): Record<string, (...a: any[]) => unknown> {
    return {
      open: (p: unknown, mode: unknown) => this.open(String(p), mode === undefined || mode === null ? 'r' : String(mode)),
      read_line: (id: number) => this.readLine(this.file(id)),
      read_all: (id: number) => this.readAll(this.file(id)),
      read_bytes: (id: number, n: number) => this.readBytes(this.file(id), n),
      read_number: (id: number) => this.readNumber(this.file(id)),
      write: (id: number, s: string) => this.write(this.file(id), String(s)),
      seek: (id: number, whence: string, offset: number) => this.seek(this.file(id), whence, offset),
      close: (id: number) => this.close(id),
      is_open: (id: number) => this.files.has(id),
      can: (id: number, what: string) => {
        const f = this.files.get(id);
        return f ? (what === 'read' ? f.readable : f.writable) : false;
      },
      name: (id: number) => this.files.get(id)?.name ?? '',
      remove: (p: unknown) => this.fsCall('remove', String(p), () => this.remove(this.resolve(String(p)))),
      rename: (a: unknown, b: unknown) => this.fsCall(`rename ${String(a)}`, String(b), () => fs.renameSync(this.resolve(String(a)), this.resolve(String(b)))),
      tmpname: () => {
        const p = path.join(os.tmpdir(), String(crypto.randomInt(1e9, 1e10)));
        return p;
      },
      tmpfile: () => {
        const p = path.join(os.tmpdir(), 'authstudio-lua-' + crypto.randomBytes(6).toString('hex'));
        const r = this.open(p, 'w+');
        try { fs.unlinkSync(p); } catch { /* already gone */ }
        return r;
      },
    };
  }

  /** Close every file still open (the VM is closing). */
  closeAll(): void {
    for (const id of [...this.files.keys()]) this.close(id);
  }

  private resolve(p: string): string {
    return path.resolve(this.baseDir, p);
  }

  private file(id: number): OpenFile {
    const f = this.files.get(id);
    if (!f) throw new Error('file is closed');
    return f;
  }

  private fsCall(op: string, target: string, fn: () => void): unknown {
    try {
      fn();
      return true;
    } catch (e) {
      return LuaMultiReturn.from([undefined, goError(op, target, e)]);
    }
  }

  private remove(p: string): void {
    // Go's os.Remove removes a file or an empty directory
    if (fs.lstatSync(p).isDirectory()) fs.rmdirSync(p);
    else fs.unlinkSync(p);
  }

  private open(p: string, mode: string): unknown {
    // gopher-lua's list exactly ("r+b" is not in it)
    const m = OPEN_MODES.includes(mode) ? OPEN_FLAGS[mode.replace('b', '')] : undefined;
    if (!m) throw new Error(`bad argument #2 to 'open' (invalid option: ${mode} (must be one of ${OPEN_MODES.join(',')}))`);
    const open = [...this.files.values()].filter((f) => !f.std).length;
    if (open >= MAX_OPEN_FILES) return fail(`open ${p}: too many open files (${MAX_OPEN_FILES} per VM; close files you are done with)`);
    let fd: number;
    try {
      const full = this.resolve(p);
      fd = fs.openSync(full, m.flags | (C.O_NONBLOCK ?? 0), 0o600);
      const st = fs.fstatSync(fd);
      if (st.isDirectory()) {
        // Go opens a directory; reading it then fails: say so at once
        fs.closeSync(fd);
        return fail(`read ${p}: is a directory`);
      }
      if (!st.isFile() && full !== '/dev/null') {
        // a FIFO, socket or device would block the engine's thread on a read (or never end)
        fs.closeSync(fd);
        return fail(`open ${p}: not a regular file (scripts read and write regular files only)`);
      }
    } catch (e) {
      return fail(goError('open', p, e));
    }
    const id = this.nextId++;
    this.files.set(id, { name: p, fd, readable: m.readable, writable: m.writable, append: m.append, rbuf: Buffer.alloc(0), filePos: 0, eof: false });
    return id;
  }

  private fill(f: OpenFile): boolean {
    if (f.eof || f.std) return false;
    const b = Buffer.allocUnsafe(CHUNK);
    let n: number;
    try {
      n = fs.readSync(f.fd, b, 0, CHUNK, f.filePos);
    } catch (e) {
      throw new Error(goError('read', f.name, e));
    }
    if (n === 0) {
      f.eof = true;
      return false;
    }
    f.filePos += n;
    f.rbuf = f.rbuf.length ? Buffer.concat([f.rbuf, b.subarray(0, n)]) : Buffer.from(b.subarray(0, n));
    return true;
  }

  private tooBig(f: OpenFile): never {
    throw new Error(`read ${f.name}: more than ${this.maxReadBytes} bytes in one read (lua_memory_limit)`);
  }

  private take(f: OpenFile, n: number, skip = 0): string {
    const s = f.rbuf.subarray(0, n).toString('utf8');
    f.rbuf = f.rbuf.subarray(n + skip);
    return s;
  }

  private readLine(f: OpenFile): string | undefined {
    let from = 0;
    for (;;) {
      const nl = f.rbuf.indexOf(10, from);
      if (nl >= 0) {
        const end = nl > 0 && f.rbuf[nl - 1] === 13 ? nl - 1 : nl;
        return this.take(f, end, nl + 1 - end);
      }
      from = f.rbuf.length;
      if (from > this.maxReadBytes) this.tooBig(f);
      if (!this.fill(f)) {
        if (f.rbuf.length === 0) return undefined;
        return this.take(f, f.rbuf.length);
      }
    }
  }

  private readAll(f: OpenFile): string {
    while (this.fill(f)) if (f.rbuf.length > this.maxReadBytes) this.tooBig(f);
    return this.take(f, f.rbuf.length);
  }

  private readBytes(f: OpenFile, n: number): string | undefined {
    const want = Math.max(0, Math.floor(Number(n) || 0));
    if (want > this.maxReadBytes) this.tooBig(f);
    while (f.rbuf.length < Math.max(want, 1) && this.fill(f));
    if (f.rbuf.length === 0) return undefined; // end of file (also for read(0))
    return this.take(f, Math.min(want, f.rbuf.length));
  }

  private readNumber(f: OpenFile): number | undefined {
    for (;;) {
      // whitespace first, then the longest prefix that looks like a number (as fmt.Fscanf("%f") reads one)
      let i = 0;
      while (i < f.rbuf.length && /\s/.test(String.fromCharCode(f.rbuf[i]))) i++;
      const rest = f.rbuf.subarray(i, i + 256).toString('latin1');
      const needMore = rest.length < 256 && !f.eof && /^[0-9a-fA-FxX.+\-eEpP]*$/.test(rest);
      if (needMore && this.fill(f)) continue;
      if (i === f.rbuf.length) {
        f.rbuf = f.rbuf.subarray(i);
        return undefined; // end of file
      }
      const m = /^[+-]?(0[xX][0-9a-fA-F]+|(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?)/.exec(rest);
      if (!m) throw new Error(`read ${f.name}: expected a number`);
      f.rbuf = f.rbuf.subarray(i + m[0].length);
      return Number(m[0]);
    }
  }

  private write(f: OpenFile, s: string): unknown {
    if (f.std) {
      const text = s.replace(/\n$/, '');
      if (text) this.logger.info({ pool: this.poolName, stream: f.std }, text.slice(0, 8192));
      return true;
    }
    const data = Buffer.from(s, 'utf8');
    const pos = f.filePos - f.rbuf.length; // gopher-lua abandons its read buffer before writing
    f.rbuf = Buffer.alloc(0);
    f.eof = false;
    try {
      if (f.append) {
        fs.writeSync(f.fd, data, 0, data.length, null);
        f.filePos = fs.fstatSync(f.fd).size;
      } else {
        fs.writeSync(f.fd, data, 0, data.length, pos);
        f.filePos = pos + data.length;
      }
    } catch (e) {
      return fail(goError('write', f.name, e));
    }
    return true;
  }

  private seek(f: OpenFile, whence: string, offset: number): unknown {
    if (f.std) return LuaMultiReturn.from([undefined, `seek ${f.name}: illegal seek`]);
    const cur = f.filePos - f.rbuf.length;
    let base: number;
    try {
      base = whence === 'set' ? 0 : whence === 'end' ? fs.fstatSync(f.fd).size : cur;
    } catch (e) {
      return LuaMultiReturn.from([undefined, goError('seek', f.name, e)]);
    }
    const pos = base + Math.floor(Number(offset) || 0);
    if (pos < 0) return LuaMultiReturn.from([undefined, `seek ${f.name}: invalid argument`]);
    f.rbuf = Buffer.alloc(0);
    f.filePos = pos;
    f.eof = false;
    return pos;
  }

  private close(id: number): unknown {
    const f = this.files.get(id);
    if (!f) throw new Error('file is closed');
    if (f.std) return LuaMultiReturn.from([undefined, 'cannot close standard file']);
    this.files.delete(id);
    try {
      fs.closeSync(f.fd);
    } catch (e) {
      throw new Error(goError('close', f.name, e));
    }
    return true;
  }
}
