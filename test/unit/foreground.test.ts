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
});
