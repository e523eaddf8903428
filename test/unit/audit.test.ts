import { audit, auditTarget } from '../../src/ops/audit';
import { createLogger } from '../../src/shared/log';

import { Secrets } from '../../src/shared/secrets';
const SECRET = 'xoxb-audit-secret-token-1234';

function capture(level: 'info' | 'warn' = 'info') {
  const lines: string[] = [];
  const logger = createLogger({ level, secrets: new Secrets([SECRET]), destination: { write: (line: string) => lines.push(line) } });
  return { logger, lines };
}

describe('audit', () => {
  it('writes one JSON line at info level with who, where, what and which sessions', () => {
    const { logger, lines } = capture();
    audit(logger, {
      action: 'trigger',
      userId: 'U0ALICE',
      teamId: 'T0FAKE',
      channelId: 'C0OPS',
      target: 'prod,api',
      runId: 'run-1',
      sessions: ['s-1', 's-2'],
      outcome: 'started',
    });
    expect(lines).toHaveLength(1);
    expect(lines[0]!.endsWith('\n')).toBe(true);
    expect(lines[0]!.trim().includes('\n')).toBe(false);
    const line = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(line).toEqual({
      level: 30,
      time: expect.any(Number),
      app: 'checkly-slack',
      audit: true,
      action: 'trigger',
      userId: 'U0ALICE',
      teamId: 'T0FAKE',
      channelId: 'C0OPS',
      target: 'prod,api',
      runId: 'run-1',
      sessions: ['s-1', 's-2'],
      outcome: 'started',
      msg: 'audit: trigger',
    });
  });

  it('records refusals without a run, with the rule that refused', () => {
    const { logger, lines } = capture();
    audit(logger, {
      action: 'rerun',
      userId: 'U0BOB',
      teamId: 'T0FAKE',
      channelId: 'C0OPS',
      target: '--all',
      sessions: [],
      outcome: 'refused',
      reason: 'all',
      fromRunId: 'run-1',
    });
    expect(JSON.parse(lines[0]!)).toMatchObject({ audit: true, action: 'rerun', outcome: 'refused', reason: 'all', fromRunId: 'run-1', sessions: [] });
    expect(JSON.parse(lines[0]!)).not.toHaveProperty('runId');
  });

  it('stays one line whatever the target holds, and bounded', () => {
    const { logger, lines } = capture();
    const hostile = `prod\n{"audit":false}\r\u0000\u202E${'x'.repeat(5000)}`;
    const sessions = Array.from({ length: 600 }, (_, i) => `s-${i}`);
    audit(logger, { action: 'cancel', userId: 'U0ALICE', teamId: 'T0FAKE', channelId: 'C0OPS', target: hostile, runId: 'run-2', sessions });
    expect(lines).toHaveLength(1);
    expect(lines[0]!.trimEnd().split('\n')).toHaveLength(1);
    const line = JSON.parse(lines[0]!) as { target: string; sessions: string[]; sessionsOmitted: number; audit: boolean };
    expect(line.audit).toBe(true);
    expect([...line.target]).toHaveLength(1001);
    expect(line.target.startsWith('prod\n{"audit":false}')).toBe(true);
    expect(line.sessions).toHaveLength(500);
    expect(line.sessionsOmitted).toBe(100);
  });

  it('never carries a secret, even one pasted into the target', () => {
    const { logger, lines } = capture();
    audit(logger, { action: 'trigger', userId: 'U0ALICE', teamId: 'T0FAKE', channelId: 'C0OPS', target: `prod ${SECRET}`, sessions: [] });
    expect(lines.join('')).not.toContain(SECRET);
    expect(JSON.parse(lines[0]!)).toMatchObject({ target: 'prod [REDACTED]' });
  });

  it('is silent below info (LOG_LEVEL=warn turns the trail off)', () => {
    const { logger, lines } = capture('warn');
    audit(logger, { action: 'trigger', userId: 'U0ALICE', teamId: 'T0FAKE', channelId: 'C0OPS', target: 'prod', sessions: [] });
    expect(lines).toEqual([]);
  });
});

describe('auditTarget', () => {
  it('writes the target as it is typed', () => {
    expect(auditTarget({ tags: [['prod', 'api'], ['eu west']], checkIds: [], all: false })).toBe('prod,api "eu west"');
    expect(auditTarget({ tags: [], checkIds: ['3f1e2a9c-0b4d-4c6e-9f7a-1b2c3d4e5f60'], all: false })).toBe('--check 3f1e2a9c-0b4d-4c6e-9f7a-1b2c3d4e5f60');
    expect(auditTarget({ tags: [], checkIds: [], all: true })).toBe('--all');
  });
});
