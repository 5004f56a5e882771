import { z } from 'zod';
import { baseEnvSchema, loadConfig, policyEnvShape } from '@llm-router/service';

export const routerEnvSchema = baseEnvSchema('router', 3001)
  .extend({
    ...policyEnvShape,
    PROVIDER: z.enum(['replay', 'openai']).default('replay'),
    /** Replay provider: the reward dataset that answers queries. */
    REPLAY_DATASET: z.string().optional(),
    OPENAI_BASE_URL: z.string().url().optional(),
    OPENAI_API_KEY: z.string().optional(),
    PROVIDER_TIMEOUT_MS: z.coerce.number().int().positive().default(30000),
    PROVIDER_RETRIES: z.coerce.number().int().min(0).max(10).default(2),
    /** Consumer group shared by router replicas for llm.queries. */
    QUERIES_GROUP_ID: z.string().default('router'),
  })
  .superRefine((c, ctx) => {
    if (c.PROVIDER === 'replay' && !c.REPLAY_DATASET)
      ctx.addIssue({ code: 'custom', path: ['REPLAY_DATASET'], message: 'is required when PROVIDER=replay' });
    if (c.PROVIDER === 'openai' && !c.OPENAI_BASE_URL)
      ctx.addIssue({ code: 'custom', path: ['OPENAI_BASE_URL'], message: 'is required when PROVIDER=openai' });
  });

export type RouterConfig = z.infer<typeof routerEnvSchema>;
export const loadRouterConfig = (env = process.env) => loadConfig('router', routerEnvSchema, env);
