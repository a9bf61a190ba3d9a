/**
 * The commands the CLI offers, by name (the name each registers, in `--help` order). Each module
 * exports `register(program, setExit)`; add a command by adding its module here.
 */
import type { RegisterCommand } from '../command.js';
import { register as check } from './check.js';
import { register as validate } from './validate.js';
import { register as collector } from './collector.js';
import { register as schema } from './schema.js';
import { register as exportHive } from './export.js';
import { register as compile } from './compile.js';
import { register as packageCmd } from './package.js';
import { register as publish } from './publish.js';
import { register as deploy } from './deploy.js';
import { register as assign } from './assign.js';
import { register as scan } from './scan.js';
import { register as history } from './history.js';
import { register as remediate } from './remediate.js';
import { register as report } from './report.js';

export const commands: Readonly<Record<string, RegisterCommand>> = {
  check, validate, collector, schema, export: exportHive, compile, package: packageCmd, publish, deploy, assign, scan, history, report, remediate,
};
