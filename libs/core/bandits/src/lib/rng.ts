// The generator lives in @llm-router/numerics; bandits keeps exporting it for its users.
export { Rng } from '@llm-router/numerics';
