/**
 * A benchmark's ARM emulator running in its own child process (so its CPU is not the measured
 * CLI's), spoken to line by line: each command written to its stdin is answered by one JSON line on
 * its stdout; the first line it prints unasked carries its endpoint.
 */
import type { ChildProcess } from 'node:child_process';
import { createInterface, type Interface } from 'node:readline';

export class EmulatorProcess {
  private readonly lines: Interface;
  private readonly waiting: Array<(line: string) => void> = [];
  constructor(readonly child: ChildProcess) {
    this.lines = createInterface({ input: child.stdout! });
    this.lines.on('line', (l) => this.waiting.shift()?.(l));
  }

  /** Sends `cmd` (or nothing: the next line it prints by itself) and parses the JSON line it answers. */
  async ask<T>(cmd?: string): Promise<T> {
    const line = new Promise<string>((resolve) => this.waiting.push(resolve));
    if (cmd) this.child.stdin!.write(`${cmd}\n`);
    return JSON.parse(await line) as T;
  }
}
