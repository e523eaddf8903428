/**
 * Process-level handlers (issue 9, cause 3): an unexpected rejection or exception is logged and the
 * process keeps serving. Run in a child Node process, where Node's default (exit 1) would apply.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const ROOT = path.join(__dirname, '../..');

function runChild(install: boolean): { status: number | null; stdout: string } {
  const script = `
    const { keepServingOnFaults } = require(${JSON.stringify(path.join(ROOT, 'src/wiring/process.ts'))});
    const { createLogger } = require(${JSON.stringify(path.join(ROOT, 'src/shared/log.ts'))});
    if (${install}) keepServingOnFaults(process, createLogger({ level: 'info' }));
    Promise.reject(new Error('store write failed'));
    setTimeout(() => { throw new Error('a callback threw'); }, 20);
    setTimeout(() => { process.stdout.write('still serving\\n'); process.exit(0); }, 200);
  `;
  const result = spawnSync(process.execPath, ['-r', require.resolve('ts-node/register/transpile-only'), '-e', script], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', TS_NODE_PROJECT: path.join(ROOT, 'tsconfig.json') },
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { status: result.status, stdout: result.stdout };
}

describe('keepServingOnFaults', () => {
  test('logs an unhandled rejection and an uncaught exception, and the process goes on', () => {
    const { status, stdout } = runChild(true);
    expect(stdout).toContain('"msg":"unhandled rejection"');
    expect(stdout).toContain('store write failed');
    expect(stdout).toContain('"msg":"uncaught exception"');
    expect(stdout).toContain('still serving');
    expect(status).toBe(0);
  }, 40_000);

  test("without it, Node's default ends the process (what the handlers prevent)", () => {
    const { status, stdout } = runChild(false);
    expect(stdout).not.toContain('still serving');
    expect(status).not.toBe(0);
  }, 40_000);
});
