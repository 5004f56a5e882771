export * from './lib/price-table';
