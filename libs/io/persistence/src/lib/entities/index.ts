import * as entities from './all';

export * from './all';

/** Every entity class, for TypeORM's `entities` option: exactly what ./all exports. */
export const ENTITIES = Object.values(entities);
