import { DEPLOYMENT_DIMENSION_SETS, METRIC_NAMES, WEBHOOK_REJECTION_DIMENSION_SETS, WEBHOOK_REJECTION_REASONS, metricRecord } from '../../src/runtime/core/metrics';

/** The one EMF writer: what CloudWatch would drop without a word is refused here. */
describe('metricRecord (Embedded Metric Format)', () => {
  const base = {
    timestamp: 1772366400000,
    metrics: [{ name: 'A', unit: 'Count' as const, value: 2 }, { name: 'B', unit: 'Seconds' as const, value: 1.5 }],
    dimensions: { Installation: 'acme', Application: 'shop' },
    dimensionSets: [['Installation'], ['Installation', 'Application']],
  };

  test('values are top-level fields; the _aws block names namespace, dimension sets and metrics', () => {
    expect(metricRecord({ ...base, properties: { message: 'm', deployment: 'd' } })).toEqual({
      message: 'm',
      deployment: 'd',
      Installation: 'acme',
      Application: 'shop',
      A: 2,
      B: 1.5,
      _aws: {
        Timestamp: 1772366400000,
        CloudWatchMetrics: [{
          Namespace: 'Trellis',
          Dimensions: [['Installation'], ['Installation', 'Application']],
          Metrics: [{ Name: 'A', Unit: 'Count' }, { Name: 'B', Unit: 'Seconds' }],
        }],
      },
    });
  });

  test('properties never override a dimension, a metric value or the _aws block', () => {
    const record = metricRecord({ ...base, properties: { Installation: 'forged', A: 99, _aws: 'x' } });
    expect(record).toMatchObject({ Installation: 'acme', A: 2 });
    expect(record._aws).toMatchObject({ Timestamp: 1772366400000 });
  });

  test.each([
    ['a dimension without a value', { dimensions: { Installation: 'acme' } }, /Application/],
    ['an empty dimension value', { dimensions: { Installation: '', Application: 'shop' } }, /Installation/],
    ['a dimension value over 1024 characters', { dimensions: { Installation: 'x'.repeat(1025), Application: 'shop' } }, /Installation/],
    ['a set of 31 dimensions', { dimensionSets: [Array.from({ length: 31 }, (_, i) => `D${i}`)] }, /at most 30/],
    ['a value that is not a number', { metrics: [{ name: 'A', unit: 'Count' as const, value: NaN }] }, /A needs a finite number/],
  ])('%s throws', (_what, change, message) => {
    expect(() => metricRecord({ ...base, ...change })).toThrow(message);
  });

  test('the metric without dimensions is the set [[]]', () => {
    const record = metricRecord({ ...base, dimensions: {}, dimensionSets: [[]] });
    expect((record._aws as any).CloudWatchMetrics[0].Dimensions).toEqual([[]]);
  });

  test('names: every set names dimensions of the shared list; reasons are a fixed set of distinct names', () => {
    expect(DEPLOYMENT_DIMENSION_SETS).toEqual([['Installation'], ['Installation', 'Application'], ['Installation', 'Application', 'Environment']]);
    expect(WEBHOOK_REJECTION_DIMENSION_SETS).toEqual([['Installation'], ['Installation', 'Reason']]);
    const reasons = Object.values(WEBHOOK_REJECTION_REASONS);
    expect(new Set(reasons).size).toBe(reasons.length);
    for (const reason of reasons) expect(reason).toMatch(/^[A-Z][A-Za-z]+$/);
    expect(new Set(Object.values(METRIC_NAMES)).size).toBe(Object.values(METRIC_NAMES).length);
  });
});
