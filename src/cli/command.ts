/** The shape every sub-command module exports (`commands/<name>.ts`); `commands/index.ts` lists them. */
import type { Command } from 'commander';

/** Registers a sub-command; `setExit` raises the process exit code (the highest code wins). */
export type RegisterCommand = (program: Command, setExit: (code: number) => void) => void;
