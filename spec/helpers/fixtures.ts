import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const tsx = path.resolve(__dirname, '../../node_modules/.bin/tsx');

/**
 * Runs spec/fixtures/<name> under tsx in a process of its own (a second member of the fleet, or a
 * place where Node's process-wide events are visible) and resolves with what it printed.
 */
export async function runFixture(name: string, args: string[] = []): Promise<string> {
  const { stdout } = await run(tsx, [path.resolve(__dirname, '../fixtures', name), ...args], { maxBuffer: 10_000_000 });
  return stdout;
}
