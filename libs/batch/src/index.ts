export * from './lib/batch';
