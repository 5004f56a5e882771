export * from './lib/detect';
export * from './lib/query-featurizer';
export * from './lib/embeddings';
export { murmur3 } from './lib/hash';
export * from './lib/embedding-block';
