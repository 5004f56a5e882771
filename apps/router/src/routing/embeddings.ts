import { PinoLogger } from 'nestjs-pino';
import { EmbeddingBlock } from '@llm-router/features';
import { EmbeddingFeatures, readEmbeddingsEntry } from '@llm-router/providers';
import { HealthRegistry, MetricsService } from '@llm-router/service';
import { RouterConfig } from '../config';

export const EMBEDDINGS = Symbol('EMBEDDINGS');

/**
 * The embedding block of the router's policies (EMBEDDING_DIM; null when 0) and the provider
 * that fills it from the prompt (the models file's `embeddings` entry; null without one).
 */
export interface RouterEmbeddings {
  block: EmbeddingBlock | null;
  provider: EmbeddingFeatures | null;
}

/** Built once at start: the block (and so the policy's dimension) never changes while the router runs. */
export function routerEmbeddings(
  config: RouterConfig,
  metrics: MetricsService,
  log: PinoLogger,
  health: HealthRegistry,
): RouterEmbeddings {
  if (config.EMBEDDING_DIM === 0) return { block: null, provider: null };
  // POLICY_SEED seeds the projection: every router of a fleet builds the same one.
  const block = new EmbeddingBlock(config.EMBEDDING_DIM, config.POLICY_SEED);
  const entry = config.MODELS_FILE ? readEmbeddingsEntry(config.MODELS_FILE) : null;
  if (!entry) return { block, provider: null };
  const fallbacks = metrics.counter(
    'router_embedding_fallbacks_total',
    'Queries routed without their embedding (provider failed, timed out, or its circuit is open)',
    ['reason'],
  );
  const provider = EmbeddingFeatures.fromEntry(
    entry,
    config.EMBEDDING_DIM,
    config.POLICY_SEED,
    process.env,
    (reason, error) => {
      fallbacks.inc({ reason });
      if (error) log.warn({ err: (error as Error).message }, 'embedding failed: routing on the hashed features alone');
    },
  );
  // Informative: without embeddings the router still routes, on the hashed features.
  health.register('embeddings', () => ({ model: entry.model, cached: provider.cached }));
  return { block, provider };
}
