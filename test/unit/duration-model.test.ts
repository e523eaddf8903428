import { DurationModel, LIKELY_FROM, LIKELY_TO, MIN_EVENTS } from '../../src/runs/duration-model';

/** Ten checks of a type whose status response times say `ref` (2 s, 4 s, … 20 s) and whose sessions took `ratio` × that. */
function relate(model: DurationModel, prefix: string, type: string, ratios: readonly number[]): void {
  ratios.forEach((ratio, i) => {
    const ref = 2_000 * (i + 1);
    // Geometric mean of shortest and longest: the check's typical response time.
    model.know(`${prefix}${i}`, type, { pastMs: [], responseTimes: { shortestMs: ref / 2, longestMs: ref * 2 } });
    model.learn(`${prefix}${i}`, type, ref * ratio);
  });
}

const RATIOS = [2, 2.2, 2.4, 2.6, 2.8, 3, 3.2, 3.4, 3.6, 3.8];

describe('DurationModel', () => {
  test('the thresholds: 2 % may end before a window, 2 % after, and ten sessions seen before a relation is trusted', () => {
    expect([LIKELY_FROM, LIKELY_TO, MIN_EVENTS]).toEqual([0.02, 0.98, 10]);
  });

  test('a check known only by its status response times: its end no sooner than the shortest, unbounded above (issue 20)', () => {
    const model = new DurationModel();
    model.know('a', 'API', { pastMs: [], responseTimes: { shortestMs: 3_000, longestMs: 6_000 } });
    const estimate = model.plan([]).estimate('a');
    expect(estimate).toMatchObject({ fromMs: 3_000, toMs: Infinity });
    expect(model.plan([]).estimate('never-heard-of')).toBeUndefined();
  });

  test('from the first sessions of a run on, a check never seen before is placed by how sessions of its type relate to their response times', () => {
    const model = new DurationModel();
    relate(model, 'c', 'API', RATIOS.slice(0, 9));
    model.know('new', 'API', { pastMs: [], responseTimes: { shortestMs: 5_000, longestMs: 20_000 } });
    // Nine sessions seen: not trusted yet, the hard lower bound only.
    expect(model.plan([]).estimate('new')).toMatchObject({ fromMs: 5_000, toMs: Infinity });
    relate(model, 'd', 'API', [3.8]);
    const estimate = model.plan([]).estimate('new')!;
    // Typical response time 10 s; sessions took 2 to 3.8 × theirs.
    expect(estimate.fromMs).toBeCloseTo(20_000, 6);
    expect(estimate.toMs).toBeCloseTo(38_000, 6);
    // 2, 2.2 and 2.4 × of ten end within 25 s; of the seven left after 25 s, three more within 30 s more.
    expect(estimate.endsWithin(0, 25_000)).toBeCloseTo(0.3, 12);
    expect(estimate.endsWithin(25_000, 5_000)).toBeCloseTo(3 / 7, 12);
    expect(estimate.endsWithin(40_000, 1_000)).toBe(1);
  });

  test('sessions still running count as taking at least so long: the relation is not learned from the quick ones alone', () => {
    const model = new DurationModel();
    relate(model, 'c', 'API', RATIOS);
    // Ten more sessions, of checks alike, still running at 3.5 × their typical response time.
    const running = Array.from({ length: 10 }, (_, i) => {
      const ref = 2_000 * (i + 1);
      model.know(`r${i}`, 'API', { pastMs: [], responseTimes: { shortestMs: ref / 2, longestMs: ref * 2 } });
      return { checkId: `r${i}`, checkType: 'API', elapsedMs: ref * 3.5 };
    });
    model.know('new', 'API', { pastMs: [], responseTimes: { shortestMs: 5_000, longestMs: 20_000 } });
    // Ending within 30 s (3 × its 10 s): six of the ten that ended, but six of the twenty that ran.
    expect(model.plan([]).estimate('new')!.endsWithin(0, 30_000)).toBeCloseTo(0.6, 12);
    expect(model.plan(running).estimate('new')!.endsWithin(0, 30_000)).toBeCloseTo(0.3, 12);
  });

  test('each check type has its own relation; a type seen too rarely yet borrows from all types', () => {
    const model = new DurationModel();
    relate(model, 'api', 'API', Array(10).fill(2));
    relate(model, 'browser', 'BROWSER', Array(10).fill(4));
    const times = { shortestMs: 5_000, longestMs: 20_000 };
    model.know('b', 'BROWSER', { pastMs: [], responseTimes: times });
    model.know('m', 'MULTI_STEP', { pastMs: [], responseTimes: times });
    const plan = model.plan([]);
    expect(plan.estimate('b')!.fromMs).toBeCloseTo(40_000, 6);
    expect(plan.estimate('m')!.fromMs).toBeCloseTo(20_000, 6);
    expect(plan.estimate('m')!.toMs).toBeCloseTo(40_000, 6);
  });

  test("a check's own past places it when sessions of its type stray less from their own past than from their response times", () => {
    const model = new DurationModel();
    // Ten checks whose sessions take 1 to 10 × their response time, but the same each run.
    for (let i = 0; i < 10; i += 1) {
      const ms = 10_000 * (i + 1);
      model.know(`c${i}`, 'API', { pastMs: [ms, ms], responseTimes: { shortestMs: 10_000, longestMs: 10_000 } });
    }
    model.know('seen', 'API', { pastMs: [50_000], responseTimes: { shortestMs: 5_000, longestMs: 20_000 } });
    const estimate = model.plan([]).estimate('seen')!;
    expect(estimate.fromMs).toBeCloseTo(50_000, 6);
    expect(estimate.toMs).toBeCloseTo(50_000, 6);
  });

  test('when one end of the response times follows the sessions better (slow runs widened the longest), that end places them', () => {
    const model = new DurationModel();
    // Ten checks whose sessions take 2 × their shortest response time, their longest anywhere from 1 to 10 × it.
    for (let i = 0; i < 10; i += 1) {
      const shortestMs = 2_000 * (i + 1);
      model.know(`c${i}`, 'API', { pastMs: [], responseTimes: { shortestMs, longestMs: shortestMs * (i + 1) } });
      model.learn(`c${i}`, 'API', 2 * shortestMs);
    }
    model.know('new', 'API', { pastMs: [], responseTimes: { shortestMs: 10_000, longestMs: 40_000 } });
    const estimate = model.plan([]).estimate('new')!;
    expect(estimate.fromMs).toBeCloseTo(20_000, 6);
    expect(estimate.toMs).toBeCloseTo(20_000, 6);
  });

  test("a check seen before, while no relation is trusted yet: between its past sessions' shortest and longest", () => {
    const model = new DurationModel();
    model.know('a', 'API', { pastMs: [40_000], responseTimes: { shortestMs: 10_000 } });
    model.learn('a', 'API', 46_000);
    const estimate = model.plan([]).estimate('a')!;
    expect(estimate).toMatchObject({ fromMs: 40_000, toMs: 46_000 });
    expect(estimate.endsWithin(40_000, 3_000)).toBe(0.5);
    // What the store says later does not undo what this process saw itself.
    model.know('a', 'API', { pastMs: [40_000] });
    expect(model.plan([]).estimate('a')).toMatchObject({ fromMs: 40_000, toMs: 46_000 });
  });
});
