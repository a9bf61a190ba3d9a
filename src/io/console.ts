/**
 * The one way driftscan prints. Every byte for stdout and stderr goes through a writer here, and
 * every writer redacts secrets (SAS signatures, bearer tokens, URL credentials: `core/redact.ts`)
 * before the text reaches a terminal or a CI log — no command, and no Azure client later, has to
 * remember it. Redaction works on whole lines: a secret split across two `write` calls is held
 * back until its line is complete (at most `MAX_PENDING` characters, so a newline-free stream
 * cannot grow memory without bound), and `flushConsole()` writes what is left at the end.
 */
import { redactSecrets } from '../core/redact.js';

/** Longest incomplete line kept back waiting for its newline before it is written as it is. */
const MAX_PENDING = 64 * 1024;

export interface ConsoleWriter {
  /** Writes `text` (redacted); an incomplete last line waits for the rest of its line. */
  write(text: string): void;
  /** Writes `text` and a newline unless it already ends with one. */
  line(text: string): void;
  /** Writes any incomplete line held back. */
  flush(): void;
  /** True when the reader went away (EPIPE): later writes are dropped quietly. */
  readonly closed: boolean;
}

function redactingWriter(stream: NodeJS.WriteStream): ConsoleWriter {
  let pending = '';
  let closed = false;
  stream.on('error', (err: NodeJS.ErrnoException) => {
    // `driftscan … | head` closes the pipe early: that is not an error worth a stack trace.
    if (err.code === 'EPIPE') closed = true;
    else throw err;
  });
  const put = (text: string) => {
    if (!closed && text) stream.write(redactSecrets(text));
  };
  const writer: ConsoleWriter = {
    write(text) {
      const all = pending + text;
      const nl = all.lastIndexOf('\n');
      if (nl < 0 && all.length <= MAX_PENDING) {
        pending = all;
        return;
      }
      const cut = nl < 0 ? all.length : nl + 1;
      pending = all.slice(cut);
      put(all.slice(0, cut));
    },
    line(text) {
      writer.write(text.endsWith('\n') ? text : `${text}\n`);
    },
    flush() {
      put(pending);
      pending = '';
    },
    get closed() {
      return closed;
    },
  };
  return writer;
}

export const stdout: ConsoleWriter = redactingWriter(process.stdout);
export const stderr: ConsoleWriter = redactingWriter(process.stderr);

/** Writes whatever both streams still hold back; the CLI calls it before it exits. */
export function flushConsole(): void {
  stdout.flush();
  stderr.flush();
}

/**
 * stderr for a live progress renderer (listr2) on a terminal: each write is redacted whole and
 * passed on at once, without the line buffering of `stderr` — a renderer redraws its frame with
 * cursor moves and no final newline, which line buffering would hold back. Everything else
 * (columns, `isTTY`, resize events) is the real stream's.
 */
export function progressStream(): NodeJS.WriteStream {
  const real = process.stderr;
  // The write of now: a renderer replaces `process.stderr.write` while it draws (listr2 buffers
  // other output that way), and calling through the replaced one would come back here forever.
  const write = real.write.bind(real) as (...a: unknown[]) => boolean;
  return new Proxy(real, {
    get(target, key) {
      if (key === 'write') {
        return (chunk: unknown, ...rest: unknown[]) => write(typeof chunk === 'string' ? redactSecrets(chunk) : chunk, ...rest);
      }
      const v = Reflect.get(target, key, target) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}
