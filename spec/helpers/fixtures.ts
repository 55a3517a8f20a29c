import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * Runs spec/fixtures/<name> under tsx in a process of its own (a second member of the fleet, a
 * place where Node's process-wide events are visible, or a heap that `--expose-gc` can measure)
 * and resolves with what it printed.
 */
export async function runFixture(
  name: string,
  args: string[] = [],
  nodeArgs: string[] = [],
  env: Record<string, string> = {},
): Promise<string> {
  const file = path.resolve(__dirname, '../fixtures', name);
  const { stdout } = await run(process.execPath, [...nodeArgs, '--import', 'tsx', file, ...args], {
    maxBuffer: 10_000_000,
    env: { ...process.env, ...env },
  });
  return stdout;
}
