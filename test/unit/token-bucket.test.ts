import { TokenBucket } from '../../src/budget/token-bucket';

describe('TokenBucket', () => {
  test('a burst of capacity, then the steady rate', () => {
    const bucket = new TokenBucket(3, 2, 0); // 3 at once, then one per 500 ms
    for (let i = 0; i < 3; i += 1) {
      expect(bucket.waitMs(0)).toBe(0);
      bucket.take(0);
    }
    expect(bucket.waitMs(0)).toBe(500);
    expect(bucket.waitMs(250)).toBe(250);
    expect(bucket.waitMs(500)).toBe(0);
    bucket.take(500);
    expect(bucket.waitMs(500)).toBe(500);
  });

  test('refills no further than its capacity', () => {
    const bucket = new TokenBucket(2, 1, 0);
    bucket.take(0);
    bucket.take(0);
    expect(bucket.waitMs(60_000)).toBe(0);
    bucket.take(60_000);
    bucket.take(60_000);
    expect(bucket.waitMs(60_000)).toBe(1000);
  });

  test('whoever takes without asking pays later', () => {
    const bucket = new TokenBucket(1, 1, 0);
    bucket.take(0);
    bucket.take(0);
    expect(bucket.waitMs(0)).toBe(2000);
  });

  test('a token put back can be taken again, up to the capacity', () => {
    const bucket = new TokenBucket(1, 1, 0);
    bucket.take(0);
    bucket.putBack();
    bucket.putBack();
    expect(bucket.waitMs(0)).toBe(0);
    bucket.take(0);
    expect(bucket.waitMs(0)).toBe(1000);
  });

  test('refuses a capacity below one or a rate of zero', () => {
    expect(() => new TokenBucket(0, 1, 0)).toThrow(RangeError);
    expect(() => new TokenBucket(1, 0, 0)).toThrow(RangeError);
  });
});
