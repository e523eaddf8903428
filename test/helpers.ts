/**
 * Helpers every test may use, in one place: free ports, waits, and Bolt's way of running a
 * listener's middleware.
 */
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import Redis from 'ioredis';
import type { AllMiddlewareArgs, AnyMiddlewareArgs, Middleware } from '@slack/bolt';

export { sleep };

/** A port free right now on loopback, for a server that does not say which port it opened. */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Polls `check` until it returns a value other than undefined/false, or fails after `timeoutMs`. */
export async function waitFor<T>(check: () => T | undefined | false, timeoutMs = 10_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(25);
  }
}

/**
 * Runs a listener's middleware in order, as Bolt does: each goes on only when the one before called
 * `next`, all with one context.
 */
export async function runChain<Args extends AnyMiddlewareArgs>(
  chain: ReadonlyArray<Middleware<Args>>,
  args: Omit<Args & AllMiddlewareArgs, 'next' | 'context'> & { context?: AllMiddlewareArgs['context'] },
): Promise<void> {
  const context = args.context ?? ({} as AllMiddlewareArgs['context']);
  const at = async (i: number): Promise<void> => {
    const middleware = chain[i];
    if (middleware) await middleware({ ...args, context, next: () => at(i + 1) } as unknown as Args & AllMiddlewareArgs);
  };
  await at(0);
}

/**
 * A Redis key prefix of this describe block's own on the test Redis (127.0.0.1:6379), for app
 * processes given `REDIS_PREFIX`; every key under it is deleted after the block.
 */
export function redisPrefixForThisBlock(name: string): string {
  const prefix = `test:${name}:${process.pid}:${Date.now()}:`;
  const redis = new Redis('redis://127.0.0.1:6379', { lazyConnect: true, maxRetriesPerRequest: 1 });
  beforeAll(async () => {
    await redis.connect().catch(() => {
      throw new Error('Redis at 127.0.0.1:6379 is needed (scripts/ensure-services.sh starts it)');
    });
  });
  afterAll(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  });
  return prefix;
}
