export * from './lib/pairs';
export * from './lib/bradley-terry';
export * from './lib/preference-router';
export * from './lib/register';
export * from './lib/pairwise-feedback';
