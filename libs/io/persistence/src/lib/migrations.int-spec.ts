import 'reflect-metadata';
import { createDatabase } from '@llm-router/infra';
import { DataSource } from 'typeorm';
import { dataSourceOptions, openDataSource } from './data-source';
import { OffsetStore } from './offset-store';
import { MIGRATIONS } from './migrations';

async function freshDatabase(): Promise<string> {
  const base = process.env['DATABASE_URL'];
  if (!base) throw new Error('DATABASE_URL is not set: run through `npm test`');
  return createDatabase(base, 'mig');
}

describe('migrations on a real PostgreSQL', () => {
  let url: string;
  const open: DataSource[] = [];
  afterAll(async () => {
    for (const ds of open) if (ds.isInitialized) await ds.destroy();
  });

  it('four services starting at once apply the schema once, under the advisory lock', async () => {
    url = await freshDatabase();
    const all = await Promise.all([1, 2, 3, 4].map(() => openDataSource(url)));
    open.push(...all);
    const rows = await all[0].query('SELECT name FROM migrations');
    // Each once, in the order of the list (a second application would add a row).
    expect(rows.map((r: { name: string }) => r.name)).toEqual(MIGRATIONS.map((m) => m.name));
  });

  it('leaves a schema that matches the entities exactly (nothing for synchronize to do)', async () => {
    const ds = new DataSource(dataSourceOptions(url, { migrationsRun: false }));
    await ds.initialize();
    open.push(ds);
    const pending = await ds.driver.createSchemaBuilder().log();
    expect(pending.upQueries.map((q) => q.query)).toEqual([]);
  });

  it('keeps offsets monotonic: an older offset never overwrites a newer one', async () => {
    const ds = open[0];
    await ds.transaction((em) => OffsetStore.save(em, 'g', 't', 0, '10'));
    await ds.transaction((em) => OffsetStore.save(em, 'g', 't', 0, '7'));
    expect((await OffsetStore.load(ds.manager, 'g')).get('t:0')).toBe('10');
  });

  it('refuses a second reward for the same decision (the ledger key)', async () => {
    const ds = open[0];
    const insert = () =>
      ds.query(
        `INSERT INTO rewards (decision_id, scope, arm, quality, cost_usd, lambda, reward, source, applied_at) VALUES ('d1','s','a',1,0,0,1,'user',now()) ON CONFLICT DO NOTHING RETURNING decision_id`,
      );
    expect(await insert()).toHaveLength(1);
    expect(await insert()).toHaveLength(0);
  });
});
