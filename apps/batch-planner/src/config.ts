import { z } from 'zod';
import {
  accessEnvShape,
  baseEnvSchema,
  loadConfig,
  parsedBy,
  policyEnvShape,
  warmStartFileEnv,
} from '@llm-router/service';
import { CALIBRATION_CALLS, DEFAULT_EXPLORE, RECENT_CORRECTION_SETTINGS, parseExploreSetting } from '@llm-router/batch';
import { BATCH_PACE_BY } from './planner/window-problem';

export const plannerEnvSchema = baseEnvSchema('batch-planner', 3004).extend({
  ...policyEnvShape,
  /** ADMIN_TOKEN guards the operator endpoints (/metrics, /stats...); ALLOW_NO_AUTH=true opens them (development). */
  ...accessEnvShape,
  /** A window closes when it holds this many queries... */
  BATCH_WINDOW_SIZE: z.coerce.number().int().positive().default(100),
  /** ...or when its oldest query has waited this long. */
  BATCH_WINDOW_MS: z.coerce.number().int().positive().default(2000),
  /** Budget of the period in USD for batch traffic; omitted = unbinding. */
  BATCH_BUDGET_USD: z.coerce.number().positive().optional(),
  BATCH_BUDGET_PERIOD: z.enum(['daily', 'monthly']).default('daily'),
  /** Expected batch queries per period, to spread what is left of the budget. */
  BATCH_EXPECTED_QUERIES: z.coerce.number().int().positive().default(10000),
  /**
   * `time`: those queries come evenly over the period, so the rest of it expects its share of
   * them; `queries`: the period holds exactly that many, whenever they come (a job of known size).
   */
  BATCH_PACE_BY: z.enum(BATCH_PACE_BY).default('time'),
  /**
   * A window waits at most this long for the previous window's rewards to reach its policy, so
   * that it is planned on what they taught (0 = never waits; a scope whose last wait learned
   * nothing goes without waiting until a reward comes: planner/feedback-wait.ts).
   */
  BATCH_FEEDBACK_WAIT_MS: z.coerce.number().int().min(0).default(2000),
  /**
   * A window whose plan would spend more than a third of what it may, or calls a dearer model on a
   * kind of prompt it has no bill on, is sent in this many parts, and the bills of each part are
   * awaited before the next is checked (1 = every window at once).
   */
  BATCH_DISPATCH_PARTS: z.coerce.number().int().positive().max(100).default(4),
  /**
   * Correct each window's estimates by how the calls of the windows before it did against their
   * estimates (the batch replay's recent-residual correction). `auto`: on with a warm start
   * (WARM_START_FILE), whose priors hold the policy still while the mix drifts.
   */
  BATCH_RECENT_CORRECTION: z.enum(RECENT_CORRECTION_SETTINGS).default('auto'),
  /**
   * Queries at the head of each window planned, sent and learnt from before the rest of it (the
   * batch replay's exploration sub-round: optimistic estimates, never-pulled models sampled).
   * `auto`: 6 with the recent-residual correction, else 3; 0 = off; `unknown` (the default, as
   * `replay --mode batch`): `auto`'s size in a window that offers a model the policy knows nothing
   * of, else none (docs/decisions/0039, 0041, 0045). The rest of the window waits for the
   * sub-round's rewards (BATCH_FEEDBACK_WAIT_MS).
   */
  BATCH_EXPLORE: z.string().default(String(DEFAULT_EXPLORE)).transform(parsedBy(parseExploreSetting)),
  /**
   * A model's cost level is measured on its last this many billed calls of the period, as the
   * batch replay's calibration measures it (libs/core/batch CALIBRATION_CALLS).
   */
  BATCH_COST_LEVEL_CALLS: z.coerce.number().int().positive().default(CALIBRATION_CALLS),
  /** How long a part waits for its bills; those still out are counted at their expected cost. */
  BATCH_BILL_WAIT_MS: z.coerce.number().int().min(0).default(30000),
  /** A query whose windows failed this many times is routed on its own (mode `query`) rather than planned again. */
  BATCH_WINDOW_ATTEMPTS: z.coerce.number().int().positive().default(3),
  /** `auto` runs the heuristic and asks HiGHS only when the window is small enough for the time limit. */
  BATCH_SOLVER: z.enum(['auto', 'ilp', 'heuristic']).default('auto'),
  BATCH_TIME_LIMIT_MS: z.coerce.number().int().positive().default(2000),
  /** Maximise a lower confidence bound of quality, so that uncertain estimates do not get the expensive models. */
  BATCH_ROBUST: z
    .enum(['true', 'false', '1', '0'])
    .default('true')
    .transform((v) => v === 'true' || v === '1'),
  /**
   * Price each window per kind of prompt (closing phrase) from the period's bills, and probe each
   * new kind on the models worth a call before the rest of its window is planned (needs
   * BATCH_FEEDBACK_WAIT_MS above 0 and BATCH_EXPLORE not 0), as `replay --mode batch` does
   * (docs/decisions/0050).
   */
  BATCH_KIND_COSTS: z
    .enum(['true', 'false', '1', '0'])
    .default('true')
    .transform((v) => v === 'true' || v === '1'),
  /** Two-sided level of that lower bound. */
  BATCH_CONFIDENCE: z.coerce.number().gt(0).lt(1).default(0.3),
  PLANNER_GROUP_ID: z.string().default('batch-planner'),
  /** The scope's offline priors until its first snapshot, and its prompts as the forecast of each period's mix. */
  WARM_START_FILE: warmStartFileEnv,
});

export type PlannerConfig = z.infer<typeof plannerEnvSchema>;
export const loadPlannerConfig = (env = process.env) => loadConfig('batch-planner', plannerEnvSchema, env);
