import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import pino from 'pino';
import { RedisRunOverBus, RunEvents, WatchedRunStore } from '../../src/api/run-events';
import { MemoryRunStore } from '../../src/runs/store';
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
  it('wakes the listeners of a run written over, and nobody for a run still going', async () => {
    const events = new RunEvents();
    const store = new WatchedRunStore(new MemoryRunStore(), (run) => events.written(run));
    const heard: string[] = [];
    const stop = events.onOver('r1', () => heard.push('r1'));
    events.onOver('r2', () => heard.push('r2'));
    await store.create(aRun('running'));
    expect(heard).toEqual([]);
    await store.update('r1', (r) => {
      r.phase = 'final';
    });
    expect(heard).toEqual(['r1']);
    stop();
    await store.update('r1', (r) => {
      r.finishedAt = 5;
    });
    expect(heard).toEqual(['r1']);
    expect(events.waiting).toBe(1);
    await events.close();
  });

  it('tells the other replicas through Redis pub/sub', async () => {
    const prefix = `test:events:${randomUUID()}:`;
    const connections = [new Redis({ host: '127.0.0.1', port: 6379 }), new Redis({ host: '127.0.0.1', port: 6379 })];
    const [a, b] = connections.map((redis) => new RunEvents(new RedisRunOverBus(redis, prefix, logger)));
    try {
      await Promise.all([a!.start(), b!.start()]);
      const heard = new Promise<string>((resolve) => b!.onOver('r1', () => resolve('heard')));
      a!.written(aRun('final'));
      await expect(heard).resolves.toBe('heard');
    } finally {
      await Promise.all([a!.close(), b!.close()]);
      await Promise.all(connections.map((c) => c.quit()));
    }
  });
});
