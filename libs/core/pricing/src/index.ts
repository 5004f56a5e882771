export * from './lib/price-table';
export * from './lib/cost-level';
