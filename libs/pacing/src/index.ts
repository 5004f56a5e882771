export * from './lib/pacing';
