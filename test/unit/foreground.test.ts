import { Foreground } from '../../src/shared/foreground';

beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

/** Whether `promise` has settled, without waiting for it. */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  void promise.then(() => (done = true));
  await Promise.resolve();
  await Promise.resolve();
  return done;
}

/** One turn of the (fake) event loop, and the promise callbacks it set off. */
async function turn(): Promise<void> {
  jest.advanceTimersToNextTimer();
  for (let i = 0; i < 3; i++) await Promise.resolve();
}

describe('Foreground', () => {
  test('quiet resolves at once when nothing is in the foreground', async () => {
    expect(await settled(new Foreground().quiet(1000))).toBe(true);
  });

  test('quiet waits until every piece of foreground work has ended', async () => {
    const fg = new Foreground();
    const a = fg.begin();
    const b = fg.begin();
    const quiet = fg.quiet(1000);
    a();
    a(); // ending twice counts once
    expect(fg.size).toBe(1);
    expect(await settled(quiet)).toBe(false);
    b();
    expect(fg.size).toBe(0);
    await jest.advanceTimersByTimeAsync(0); // the next turn
    expect(await settled(quiet)).toBe(true);
    expect(jest.getTimerCount()).toBe(0); // its timer is gone with it
  });

  test('a steady foreground delays the background by maxWaitMs at most', async () => {
    const fg = new Foreground();
    fg.begin();
    const quiet = fg.quiet(1000);
    await jest.advanceTimersByTimeAsync(999);
    expect(await settled(quiet)).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    expect(await settled(quiet)).toBe(true);
  });

  test('lets the waiting work go one piece per turn of the event loop, and stops when the foreground is busy again', async () => {
    const fg = new Foreground();
    const end = fg.begin();
    const woken: number[] = [];
    for (let i = 0; i < 3; i++) void fg.quiet(1000).then(() => woken.push(i));
    end();
    expect(woken).toEqual([]);
    await turn(); // one turn: one waiter
    expect(woken).toEqual([0]);
    const again = fg.begin();
    await turn();
    expect(woken).toEqual([0]); // a request came in: the rest wait for it
    again();
    await turn();
    expect(woken).toEqual([0, 1]);
    await turn();
    expect(woken).toEqual([0, 1, 2]);
    // Waiting work goes in order: a late waiter does not jump ahead of those already waiting.
    const hold = fg.begin();
    for (let i = 3; i < 5; i++) void fg.quiet(1000).then(() => woken.push(i));
    hold();
    const late = fg.quiet(1000).then(() => woken.push(5));
    for (let i = 0; i < 3; i++) await turn();
    await late;
    expect(woken).toEqual([0, 1, 2, 3, 4, 5]);
    expect(jest.getTimerCount()).toBe(0);
  });
});
