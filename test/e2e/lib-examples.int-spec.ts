import { NEEDS_INFRA, libExamples, runExample } from '../../tools/lib/lib-examples';
import { freshDatabase } from '../support/database';
import { resetTopics } from '../support/kafka-test-kit';

/** What each example prints once it has done its work. */
const PRINTS: Record<string, RegExp> = {
  'dev/infra': /topics of the contracts present: true\nPostgreSQL \d+/,
  'io/kafka': /^received llm\.queries /m,
  'io/persistence': /^offsets .*42/m,
  'io/replica': /^models in the replica: \[ 'example\/large', 'example\/small' \]\ndecided: example\/(small|large)/m,
};

/**
 * The libraries' examples that need Kafka or PostgreSQL run on the real broker and a database of
 * their own (the others run in tools/lint/lib-examples.spec.ts).
 */
describe('library examples on the real broker and database', () => {
  const examples = libExamples().filter((l) => NEEDS_INFRA.includes(l.lib));
  // Fresh topics first, as every file's useStack: the replica example reads the compacted model.prices
  // from its start and decides among every model there, and a file before it that left its own
  // ('t/strong', warm-start-admin) made it decide one of those (CI on 7f2ece3). After: the examples
  // publish a query and two models' prices, which the next file's consumers must not see.
  beforeAll(() => resetTopics());
  afterAll(() => resetTopics());

  it('covers every library that needs infrastructure', () => {
    expect(examples.map((l) => l.lib).sort()).toEqual([...NEEDS_INFRA].sort());
  });

  it.each(NEEDS_INFRA)('libs/%s: its example runs', async (lib) => {
    const l = examples.find((x) => x.lib === lib)!;
    const databaseUrl = await freshDatabase(`example_${lib.replace(/\W/g, '_')}`);
    const run = runExample(l, [], { ...process.env, DATABASE_URL: databaseUrl });
    expect({ lib, status: run.status }).toEqual({ lib, status: 0 });
    expect(run.stdout).toMatch(PRINTS[lib]);
  });
});
