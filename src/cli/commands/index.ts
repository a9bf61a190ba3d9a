/**
 * The commands the CLI offers. Each module exports `register(program, setExit)`; add a command
 * by adding its module here.
 */
import type { Command } from 'commander';

/** Registers a sub-command; `setExit` raises the process exit code (the highest code wins). */
export type RegisterCommand = (program: Command, setExit: (code: number) => void) => void;

export const commands: RegisterCommand[] = [];
