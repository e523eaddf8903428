/**
 * The checks' states read before a run (product.md section 13): runs started while a read is under
 * way share it, so that a burst of commands is one GET /v1/check-statuses, not one a command.
 */
import type { ChecklyClient } from '../../src/checkly/client';
import { checkStates } from '../../src/wiring/runs';

const CHECK = 'a0000000-0000-4000-8000-000000000001';

function reader() {
  const calls: string[] = [];
  const answers: Array<(body: unknown) => void> = [];
  const client = {
    read: (_op: string, path: string) => {
      calls.push(path);
      return new Promise((resolve) => answers.push(resolve));
    },
  };
  return { client: client as unknown as ChecklyClient, calls, answer: (body: unknown) => answers.shift()?.(body) };
}

const passing = [{ checkId: CHECK, name: 'Home', hasFailures: false, hasErrors: false, isDegraded: false }];

test('reads started while one is under way share it; a read after it has ended asks again', async () => {
  const { client, calls, answer } = reader();
  const states = checkStates(client);
  const burst = [states.read(), states.read(), states.read()];
  expect(calls).toEqual(['/v1/check-statuses']);
  answer(passing);
  const read = await Promise.all(burst);
  expect(read).toEqual([{ [CHECK]: { state: 'passing' } }, { [CHECK]: { state: 'passing' } }, { [CHECK]: { state: 'passing' } }]);

  const later = states.read();
  expect(calls).toEqual(['/v1/check-statuses', '/v1/check-statuses']);
  answer([{ ...passing[0], hasFailures: true }]);
  // A failing check: since when comes from the alerts, asked next.
  while (calls.length < 3) await new Promise(setImmediate);
  expect(calls[2]).toMatch(/^\/v1\/check-alerts/);
  answer([]);
  expect(await later).toEqual({ [CHECK]: { state: 'failing' } });
});

test('a read that fails is not kept: the next one asks again', async () => {
  let fail = true;
  const calls: string[] = [];
  const client = {
    read: async (_op: string, path: string) => {
      calls.push(path);
      if (fail) throw new Error('Checkly answered 503');
      return passing;
    },
  } as unknown as ChecklyClient;
  const states = checkStates(client);
  await expect(states.read()).rejects.toThrow('503');
  fail = false;
  await expect(states.read()).resolves.toEqual({ [CHECK]: { state: 'passing' } });
  expect(calls).toHaveLength(2);
});
