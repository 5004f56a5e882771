// npm run -s infra -- run -- npx tsx --tsconfig tsconfig.typecheck.json libs/io/persistence/examples/basic.ts
import 'reflect-metadata';
import { openDataSource, OffsetStore, PolicyStateEntity } from '../src';

async function main() {
  const ds = await openDataSource(process.env['DATABASE_URL']!); // runs pending migrations
  await ds.transaction(async (em) => {
    await OffsetStore.save(em, 'example-group', 'routing.decisions', 0, '42');
  });
  console.log('offsets', await OffsetStore.load(ds.manager, 'example-group'));
  console.log('policies', await ds.getRepository(PolicyStateEntity).count());
  await ds.destroy();
}
main();
