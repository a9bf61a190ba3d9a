/**
 * The one way driftscan writes a file the user named (`check -o`, `collector -o`, `schema -o`,
 * `export -o`, everything `compile` writes, the module cache). What happens depends on what the
 * path leads to, decided before anything is written:
 *
 * - a regular file, or nothing yet: replaced atomically (a temp file beside it, then rename), so a
 *   failed run never leaves a half-written file. A symbolic link is followed: its target is
 *   replaced and the link stays. An existing file keeps its permission bits (and, as root, its owner).
 * - a device (`/dev/null`) or a FIFO: opened and written through, never renamed over. Nothing
 *   can be rolled back there; a FIFO blocks until a reader opens it (ordinary Unix semantics). A
 *   socket cannot be opened as a file: that is reported like any other write error.
 * - `/dev/stdout`, `/dev/stderr`, `/dev/fd/N`, `/proc/self/fd/N`: our own descriptor N, written
 *   through. Descriptors 1 and 2 go through the redacting console (`console.ts`), exactly like
 *   output without `-o`.
 * - a folder, or a path through a file: refused.
 *
 * An output that is the same file as one of the command's inputs (same real path, or same device
 * and inode, so `./x`, symbolic links and hard links are caught) is refused with `refuseInputs`
 * before the command reads anything. Every failure is a one-line `DriftscanError` naming the path
 * and the reason (`cannot write report out/r.json: permission denied`): exit code 2.
 */
import { createRequire } from 'node:module';
import {
  closeSync, constants, fchmodSync, fchownSync, fstatSync, lstatSync, mkdirSync, openSync, readlinkSync,
  realpathSync, renameSync, rmdirSync, rmSync, statSync, writeSync, type Stats,
} from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { DriftscanError } from '../core/diagnostics.js';
import { stderr, stdout, type ConsoleWriter } from './console.js';

/** node:crypto, loaded on first use: loading it (~5-10 ms on the build machine) would cost every start-up, and most runs never need it. */
const nodeCrypto = (): typeof import('node:crypto') => createRequire(import.meta.url)('node:crypto') as typeof import('node:crypto');

/** Where an output path leads. `path` is what the user gave; `file` is where the bytes end up. */
export type OutputTarget =
  /** A regular file (or none yet) at `file`, replaced atomically; `existing` is its current state. */
  | { kind: 'replace'; path: string; file: string; existing: Stats | undefined }
  /** A device or FIFO at `file` (or a socket, which fails to open), opened and written through. */
  | { kind: 'through'; path: string; file: string; existing: Stats }
  /** One of this process's open descriptors (`/dev/stdout`, `/dev/fd/3`), written through. */
  | { kind: 'descriptor'; path: string; file: string; fd: number };

/** A file a command reads, and how to name it when an output would overwrite it (`--reg input`). */
export interface NamedInput {
  file: string;
  what: string;
}

/** An output being written in pieces; it appears under its name only at `commit()`. */
export interface OutputWriter {
  readonly target: OutputTarget;
  /** True when the output is the console (fd 1 or 2), which takes text the way stdout does. */
  readonly console: boolean;
  write(data: string | Uint8Array): void;
  /** Finishes the output: renames a temp file into place, or closes a device. */
  commit(): void;
  /** Gives up: removes the temp file (the old file stays as it was). Safe to call after `commit`. */
  abort(): void;
}

/** Symbolic links followed before giving up, like the kernel's limit (ELOOP). */
const MAX_LINKS = 40;

/** Our own open descriptors as Linux shows them: `/proc/<pid>/fd/N` (`/proc/self` and `/dev/fd` lead here). */
const PROC_FD_DIR = /^\/proc\/(\d+)(?:\/task\/\d+)?\/fd$/;

/** Words for the errno codes a write meets, so the one-line error says why without a stack trace. */
const REASONS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'is a folder',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'read-only file system',
  EFBIG: 'file too large',
  ELOOP: 'too many levels of symbolic links',
  ENAMETOOLONG: 'name too long',
  ENXIO: 'no such device (or a socket, which cannot be opened as a file)',
  EPIPE: 'the reader closed the pipe',
  EBUSY: 'device or resource busy',
  ETXTBSY: 'file is a running program',
  EIO: 'input/output error',
};

/**
 * Decides what `path` leads to, following symbolic links one at a time (a relative link resolves
 * against the link's own folder). Throws when it leads to a folder or through a file.
 */
export function resolveOutput(path: string, what = 'output'): OutputTarget {
  if (path === '') throw new DriftscanError(`cannot write ${what}: the file name is empty`, { kind: 'usage' });
  if (/[\\/]$/.test(path)) throw writeError(path, what, 'names a folder, not a file');
  let current = resolve(path);
  for (let hops = 0; hops <= MAX_LINKS; hops++) {
    const parent = realFolder(dirname(current), path, what);
    // A missing parent folder is created when writing: the file is new, so nothing can be in the way.
    if (parent === undefined) return { kind: 'replace', path, file: current, existing: undefined };
    const file = join(parent, basename(current));
    const proc = PROC_FD_DIR.exec(parent);
    if (proc && Number(proc[1]) === process.pid && /^\d+$/.test(basename(file))) {
      const fd = Number(basename(file));
      if (fd !== 1 && fd !== 2) {
        // Written into directly (a shell's `3>>log` keeps its append mode), so only what a caller
        // could have handed us: libuv's own epoll and eventfd descriptors have no file type.
        let st: Stats;
        try {
          st = fstatSync(fd);
        } catch {
          throw writeError(path, what, `descriptor ${fd} is not open`, file);
        }
        if (!st.isFile() && !st.isFIFO() && !st.isCharacterDevice() && !st.isBlockDevice()) {
          throw writeError(path, what, `descriptor ${fd} is not a file, pipe or device`, file);
        }
      }
      return { kind: 'descriptor', path, file, fd };
    }
    let st: Stats;
    try {
      st = lstatSync(file);
    } catch (err) {
      if (code(err) === 'ENOENT') return { kind: 'replace', path, file, existing: undefined };
      throw writeError(path, what, reason(err), file);
    }
    if (st.isSymbolicLink()) {
      current = resolve(parent, readlinkSync(file));
      continue;
    }
    if (st.isDirectory()) throw writeError(path, what, 'is a folder', file);
    if (st.isFile()) return { kind: 'replace', path, file, existing: st };
    return { kind: 'through', path, file, existing: st };
  }
  throw writeError(path, what, REASONS.ELOOP!);
}

/**
 * Refuses `target` when it is the same file as one of `inputs`: same device and inode (hard links),
 * or the same real path (`./x`, symbolic links, and a file neither has created yet, such as a lock
 * file a first run both reads and writes). Devices are not compared: reading and writing
 * `/dev/null` harms nothing. FIFOs are.
 */
export function refuseInputs(target: OutputTarget, inputs: readonly NamedInput[], option = '--output'): void {
  if (target.kind === 'descriptor' || (target.kind === 'through' && !target.existing.isFIFO())) return;
  const out = target.existing;
  for (const input of inputs) {
    let st: Stats | undefined;
    try {
      st = statSync(input.file);
    } catch {
      st = undefined;
    }
    const sameInode = st !== undefined && out !== undefined && st.dev === out.dev && st.ino === out.ino;
    if (sameInode || realLocation(input.file) === target.file) {
      const via = input.file === target.path ? '' : ' (the same file)';
      throw new DriftscanError(
        `${option} ${target.path} is the ${input.what} ${input.file}${via}: refusing to overwrite an input; choose another output file`,
        { kind: 'usage', location: { file: target.path } },
      );
    }
  }
}

/** Resolves `path` and refuses it when it is one of `inputs`: what a command calls before reading anything. */
export function prepareOutput(path: string, inputs: readonly NamedInput[], options: { what?: string; option?: string } = {}): OutputTarget {
  const target = resolveOutput(path, options.what);
  refuseInputs(target, inputs, options.option);
  return target;
}

/**
 * Checks a folder outputs will be written into (`compile --out`): missing is fine (it is created),
 * a folder or a link to one is fine, anything else is refused before the command reads its inputs.
 */
export function prepareOutputFolder(dir: string, what = 'output folder'): void {
  let st: Stats;
  try {
    st = statSync(dir);
  } catch (err) {
    if (code(err) === 'ENOENT') {
      const blocker = notAFolder(dirname(resolve(dir)));
      if (blocker) throw writeError(dir, what, `${blocker} is not a folder`);
      return;
    }
    if (code(err) === 'ENOTDIR') throw writeError(dir, what, `${notAFolder(resolve(dir)) ?? dir} is not a folder`);
    throw writeError(dir, what, reason(err));
  }
  if (!st.isDirectory()) throw writeError(dir, what, 'is not a folder');
}

/** Opens an output for writing in pieces (see `OutputWriter`); `what` names it in errors ("report"). */
export function openOutput(output: string | OutputTarget, what = 'output'): OutputWriter {
  const target = typeof output === 'string' ? resolveOutput(output, what) : output;
  switch (target.kind) {
    case 'replace':
      return replacingWriter(target, what);
    case 'through':
      return fdWriter(target, what, guard(target, what, () => openSync(target.file, constants.O_WRONLY | (constants.O_NOCTTY ?? 0))), true);
    case 'descriptor':
      if (target.fd === 1 || target.fd === 2) return consoleWriter(target, target.fd === 1 ? stdout : stderr);
      return fdWriter(target, what, target.fd, false);
  }
}

/** Writes `data` to `output` whole (see the module comment for what that means per kind of path). */
export function writeOutput(output: string | OutputTarget, data: string | Uint8Array, what = 'output'): void {
  const out = openOutput(output, what);
  try {
    out.write(data);
    out.commit();
  } catch (err) {
    out.abort();
    throw err;
  }
}

/**
 * Writes several outputs all or nothing (compile's build folder, lock file and bumped baselines):
 * every one is written to its temp file first, and only when all succeeded are they renamed into
 * place, in the order given. A full disk or a permission error on the last file leaves every old
 * file as it was.
 */
export function writeOutputs(outputs: ReadonlyArray<{ target: OutputTarget; data: string | Uint8Array; what: string }>): void {
  const open: OutputWriter[] = [];
  try {
    for (const o of outputs) {
      const w = openOutput(o.target, o.what);
      open.push(w);
      w.write(o.data);
    }
    for (const w of open) w.commit();
  } catch (err) {
    // Newest first, so a folder an earlier output created is empty again when that output removes it.
    for (const w of open.reverse()) w.abort();
    throw err;
  }
}

/** Writes `text` to the output if one is given, else to stdout (with a final newline). */
export function emit(output: string | OutputTarget | undefined, text: string, what = 'output'): void {
  if (output !== undefined) writeOutput(output, text, what);
  else stdout.line(text);
}

/** Temp file in the target's folder (so rename is atomic), renamed over the target at `commit`. */
function replacingWriter(target: Extract<OutputTarget, { kind: 'replace' }>, what: string): OutputWriter {
  const dir = dirname(target.file);
  // The first folder this created, if any: an aborted write removes what it created, too.
  const created = guard(target, what, () => mkdirSync(dir, { recursive: true }), dir);
  // Random and created exclusively: a link planted at a guessable name in a shared folder is not followed.
  const tmp = join(dir, `.${basename(target.file)}.${process.pid}.${nodeCrypto().randomBytes(6).toString('hex')}.tmp`);
  const fd = guard(target, what, () => openSync(tmp, 'wx', 0o666));
  let open = true;
  let done = false;
  const close = () => {
    if (open) closeSync(fd);
    open = false;
  };
  const discard = () => {
    close();
    rmSync(tmp, { force: true });
    done = true;
    if (created !== undefined) removeEmptyFolders(dir, created);
  };
  const fail = (err: unknown): never => {
    discard();
    throw err;
  };
  try {
    const old = target.existing;
    if (old) {
      // As root (CI agents, containers), a replaced file would otherwise change hands to root.
      const st = fstatSync(fd);
      if (process.getuid?.() === 0 && (st.uid !== old.uid || st.gid !== old.gid)) guard(target, what, () => fchownSync(fd, old.uid, old.gid));
      // After chown, which clears set-id bits; only the permission bits are carried over.
      guard(target, what, () => fchmodSync(fd, old.mode & 0o777));
    }
  } catch (err) {
    fail(err);
  }
  return {
    target,
    console: false,
    write: (data) => {
      try {
        writeAll(fd, data);
      } catch (err) {
        fail(translate(err, target, what));
      }
    },
    commit: () => {
      if (done) return;
      try {
        close();
        renameSync(tmp, target.file);
        done = true;
      } catch (err) {
        fail(translate(err, target, what));
      }
    },
    abort: () => {
      if (!done) discard();
    },
  };
}

/** Removes `dir` and its parents up to `top` while they are empty (what an aborted write created). */
function removeEmptyFolders(dir: string, top: string): void {
  for (let d = dir; ; d = dirname(d)) {
    try {
      rmdirSync(d);
    } catch {
      // Not empty (another output's file is in it) or already gone: it stays, and so do its parents.
      return;
    }
    if (d === top || dirname(d) === d) return;
  }
}

/** Writes through an open descriptor; closes it at the end only when `owned` (not one we inherited). */
function fdWriter(target: OutputTarget, what: string, fd: number, owned: boolean): OutputWriter {
  let open = true;
  const close = () => {
    if (open && owned) closeSync(fd);
    open = false;
  };
  return {
    target,
    console: false,
    write: (data) => {
      try {
        writeAll(fd, data);
      } catch (err) {
        close();
        throw translate(err, target, what);
      }
    },
    commit: () => {
      try {
        close();
      } catch (err) {
        throw translate(err, target, what);
      }
    },
    // A device or pipe has no old content to restore: what was written stays written.
    abort: () => {
      try {
        close();
      } catch {
        // Closing after a failed write may fail again; the first error is the one reported.
      }
    },
  };
}

/** `-o /dev/stdout` (or stderr): the redacting console, which takes text. */
function consoleWriter(target: OutputTarget, writer: ConsoleWriter): OutputWriter {
  const decoder = new TextDecoder();
  return {
    target,
    console: true,
    write: (data) => writer.write(typeof data === 'string' ? data : decoder.decode(data, { stream: true })),
    commit: () => writer.flush(),
    abort: () => writer.flush(),
  };
}

function writeAll(fd: number, data: string | Uint8Array): void {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  for (let done = 0; done < bytes.length; ) done += writeSync(fd, bytes, done, bytes.length - done);
}

/** Runs a file system call, turning its failure into the one-line user error. */
function guard<T>(target: OutputTarget, what: string, fn: () => T, at?: string): T {
  try {
    return fn();
  } catch (err) {
    throw translate(err, target, what, at);
  }
}

function translate(err: unknown, target: OutputTarget, what: string, at?: string): unknown {
  if (err instanceof DriftscanError || code(err) === undefined) return err;
  if (code(err) === 'ENOTDIR' || code(err) === 'EEXIST') {
    const blocker = notAFolder(at ?? dirname(target.file));
    if (blocker) return writeError(target.path, what, `${blocker} is not a folder`);
  }
  return writeError(target.path, what, reason(err), target.file);
}

/** The real path of folder `dir`, or undefined when it does not exist yet (it will be created). */
function realFolder(dir: string, path: string, what: string): string | undefined {
  try {
    const real = realpathSync(dir);
    if (!statSync(real).isDirectory()) throw Object.assign(new Error('not a folder'), { code: 'ENOTDIR' });
    return real;
  } catch (err) {
    if (code(err) === 'ENOENT') {
      const blocker = notAFolder(dir);
      if (blocker) throw writeError(path, what, `${blocker} is not a folder`);
      return undefined;
    }
    if (code(err) === 'ENOTDIR') throw writeError(path, what, `${notAFolder(dir) ?? dir} is not a folder`);
    throw writeError(path, what, reason(err));
  }
}

/** The nearest existing ancestor of `dir` (or `dir` itself) when it is not a folder: what blocks mkdir. */
function notAFolder(dir: string): string | undefined {
  for (let d = dir; ; d = dirname(d)) {
    try {
      return statSync(d).isDirectory() ? undefined : d;
    } catch {
      if (dirname(d) === d) return undefined;
    }
  }
}

/** Where `file` is or would be created, in the terms of `OutputTarget.file`: links resolved as far as they exist. */
function realLocation(file: string): string {
  try {
    return realpathSync(file);
  } catch {
    try {
      return join(realpathSync(dirname(resolve(file))), basename(file));
    } catch {
      return resolve(file);
    }
  }
}

function code(err: unknown): string | undefined {
  const c = (err as NodeJS.ErrnoException | undefined)?.code;
  return typeof c === 'string' ? c : undefined;
}

function reason(err: unknown): string {
  const c = code(err);
  if (c === 'ENOENT') return 'no such file or folder';
  if (c === 'ENOTDIR') return 'a part of the path is not a folder';
  return (c && REASONS[c]) ?? (err instanceof Error ? err.message.split('\n')[0]! : String(err));
}

/** `out/r.json: cannot write report out/r.json (→ /real/r.json): permission denied`, located at the path given. */
function writeError(path: string, what: string, why: string, file?: string): DriftscanError {
  const via = file !== undefined && file !== resolve(path) ? ` (→ ${file})` : '';
  return new DriftscanError(`cannot write ${what} ${path}${via}: ${why}`, { location: { file: path } });
}
