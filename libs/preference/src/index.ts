export * from './lib/preference';
