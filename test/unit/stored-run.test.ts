import { parseRun, serializeRun } from '../../src/runs/stored-run';
import type { Run } from '../../src/runs/types';
import { aRun } from './runner-fixture';

const RUN: Run = aRun({ id: 'r1', createdAt: 1_700_000_000_000, shownDigest: 'abc' });

describe('stored runs', () => {
  test('read back as written', () => {
    expect(parseRun(serializeRun(RUN))).toEqual(RUN);
  });

  test('a run stored when the digest was called `shown` keeps its digest', () => {
    const { shownDigest, ...rest } = RUN;
    const legacy = JSON.stringify({ ...rest, shown: shownDigest });
    expect(parseRun(legacy)).toEqual(RUN);
  });

  test('anything else is refused', () => {
    expect(() => parseRun(JSON.stringify({ id: 'x' }))).toThrow('stored run is not a run');
  });
});
