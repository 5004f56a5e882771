import * as lib from '../../index';
import { ENTITIES } from './index';

describe('ENTITIES', () => {
  it('lists every entity class the library exports, once each', () => {
    const exported = Object.entries(lib)
      .filter(([name]) => name.endsWith('Entity'))
      .map(([, value]) => value);
    expect(ENTITIES).toHaveLength(15);
    expect(new Set(ENTITIES).size).toBe(ENTITIES.length);
    expect([...ENTITIES].sort((a, b) => a.name.localeCompare(b.name))).toEqual(
      [...exported].sort((a, b) => (a as { name: string }).name.localeCompare((b as { name: string }).name)),
    );
  });
});
