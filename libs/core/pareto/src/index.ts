export * from './lib/frontier';
export * from './lib/tracker';
