import { describeFault, faultName, planChaos, SERVICES } from './plan';

describe('planChaos', () => {
  const base = { seed: 1, durationSeconds: 400, killsPerService: 2, infrastructure: true, brokers: 3 };

  it('kills each service the asked number of times, the aggregator once more mid-batch, and breaks the infrastructure once each', () => {
    const plan = planChaos(base);
    for (const s of SERVICES) expect(plan.filter((f) => f.kind === 'kill-service' && f.service === s)).toHaveLength(2);
    for (const kind of ['kill-aggregator-mid-batch', 'restart-broker', 'kill-broker', 'restart-postgres'])
      expect(plan.filter((f) => f.kind === kind)).toHaveLength(1);
    expect(plan).toHaveLength(12);
  });

  it('places faults in order inside the load phase, clear of its first and last tenth', () => {
    const at = planChaos(base).map((f) => f.atSeconds);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    expect(Math.min(...at)).toBeGreaterThanOrEqual(40);
    expect(Math.max(...at)).toBeLessThanOrEqual(360);
  });

  it('is fixed by the seed and changes with it', () => {
    expect(planChaos(base)).toEqual(planChaos(base));
    expect(planChaos({ ...base, seed: 2 })).not.toEqual(planChaos(base));
  });

  it('names brokers of the cluster only', () => {
    for (let seed = 1; seed < 50; seed++)
      for (const f of planChaos({ ...base, seed }))
        if (f.kind === 'kill-broker' || f.kind === 'restart-broker') expect([1, 2, 3]).toContain(f.node);
  });

  it('keeps only the asked faults, at the moments the full plan gives them', () => {
    const full = planChaos(base);
    const some = planChaos({ ...base, only: ['router', 'kill-broker'] });
    expect(some.map(faultName).sort()).toEqual(['kill-broker', 'router', 'router']);
    for (const f of some) expect(full).toContainEqual(f);
  });

  it('leaves the infrastructure alone when asked', () => {
    const plan = planChaos({ ...base, infrastructure: false, killsPerService: 1 });
    expect(plan.map((f) => f.kind).sort()).toEqual([
      'kill-aggregator-mid-batch',
      'kill-service',
      'kill-service',
      'kill-service',
      'kill-service',
    ]);
    expect(plan.map(describeFault)).toContain('kill reward-aggregator mid-batch');
  });
});
