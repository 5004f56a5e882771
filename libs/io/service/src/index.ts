export * from './lib/config';
export * from './lib/metrics';
export * from './lib/health';
export * from './lib/service-core.module';
export * from './lib/bootstrap';
export * from './lib/access';
export * from './lib/params';
export * from './lib/event-loop-slice';
