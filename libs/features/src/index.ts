export * from './lib/features';
