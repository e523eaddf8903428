import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import pino from 'pino';
import { RedisRunOverBus, RunEvents } from '../../src/api/run-events';
import type { Run } from '../../src/runs/types';

const logger = pino({ level: 'silent' });

function aRun(phase: Run['phase']): Run {
  return {
    id: 'r1',
    teamId: 'T1',
    channel: 'C1',
    requester: 'U1',
    target: { tags: [['prod']], checkIds: [], all: false },
    refreshCache: false,
    phase,
    sessions: [],
    createdAt: 1,
  };
}

describe('RunEvents', () => {
  it('tells the other replicas through Redis pub/sub', async () => {
    const prefix = `test:events:${randomUUID()}:`;
    const connections = [new Redis({ host: '127.0.0.1', port: 6379 }), new Redis({ host: '127.0.0.1', port: 6379 })];
    const [a, b] = connections.map((redis) => new RunEvents(new RedisRunOverBus(redis, prefix, logger)));
    try {
      await Promise.all([a!.start(), b!.start()]);
      const heard = new Promise<string>((resolve) => b!.onOver('r1', () => resolve('heard')));
      a!.over(aRun('final'));
      await expect(heard).resolves.toBe('heard');
    } finally {
      await Promise.all([a!.close(), b!.close()]);
      await Promise.all(connections.map((c) => c.quit()));
    }
  });
});
