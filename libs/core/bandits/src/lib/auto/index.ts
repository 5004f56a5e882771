export { AutoPolicy } from './auto-policy';
export type { AutoOptions } from './auto-policy';
export { templateKeys } from './features';
export { AUTO_STATE_FORMAT } from './state-codec';
