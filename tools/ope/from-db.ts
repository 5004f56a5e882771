/**
 * `npm run -s ope -- --from-db --scope S`: the aggregator's switch gate, run by hand on the
 * scope's log in PostgreSQL (DATABASE_URL). Same reader (readScopeDecisionLog) and same
 * evaluation (evaluateSwitch) as POST /admin/scopes/:scope/policy, so the figures agree.
 */
import { writeFileSync } from 'node:fs';
import { Client } from 'pg';
import { DEFAULT_FEATURE_DIM } from '@llm-router/features';
import { CandidateSpec, evaluateSwitch, readScopeDecisionLog, StoredDecision, SwitchVerdict } from '@llm-router/ope';
import { num, UsageError } from '../lib/cli';

export interface FromDbOptions {
  scope: string;
  candidates: string;
  /** JSON object policy name -> options, as POLICY_OPTIONS. */
  options?: string;
  tolerance: number;
  level: number;
  minEss: number;
  limit: number;
  export?: string;
  json?: boolean;
}

export async function runFromDb(o: FromDbOptions, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const url = env['DATABASE_URL'];
  if (!url) throw new UsageError('--from-db reads DATABASE_URL (postgres://user@host:port/db), which is not set');
  // The candidate is created as the services create it: their FEATURE_DIM, EMBEDDING_DIM and
  // POLICY_SEED (same defaults, FEATURE_DIM's from @llm-router/features as theirs;
  // @llm-router/service, which defines the variables, is a Nest library tsx cannot load). The
  // policy's dimension is the hashed features plus the embedding block.
  const featureDim =
    num('FEATURE_DIM', { integer: true, min: 16 })(env['FEATURE_DIM'] ?? String(DEFAULT_FEATURE_DIM)) +
    num('EMBEDDING_DIM', { integer: true, min: 0 })(env['EMBEDDING_DIM'] ?? '0');
  const seed = num('POLICY_SEED', { integer: true })(env['POLICY_SEED'] ?? '1');
  const client = new Client({ connectionString: url });
  await client.connect();
  let log: StoredDecision[];
  try {
    const db = { query: async (sql: string, params?: unknown[]) => (await client.query(sql, params)).rows };
    log = await readScopeDecisionLog(db, o.scope, { limit: o.limit });
  } finally {
    await client.end();
  }
  if (o.export) {
    // One line per decision, in the --log format (arm, propensity, reward, quality, lambda, features, priceSnapshot).
    writeFileSync(o.export, log.map((d) => JSON.stringify(d)).join('\n') + (log.length ? '\n' : ''));
    process.stderr.write(`[ope] ${log.length} decisions of scope ${o.scope} written to ${o.export}\n`);
  }
  const byPolicy = parseOptions(o.options);
  const arms = [...new Set(log.map((d) => d.arm))].sort();
  const verdicts: SwitchVerdict[] = [];
  for (const name of expandCandidates(o.candidates, arms)) {
    const spec: CandidateSpec = { algorithm: name, options: byPolicy[name.split(':')[0]] };
    try {
      verdicts.push(
        evaluateSwitch(
          log,
          spec,
          { featureDim, seed },
          { tolerance: o.tolerance, level: o.level, minEffectiveSampleSize: o.minEss },
        ).verdict,
      );
    } catch (e) {
      if (e instanceof RangeError) throw new UsageError(e.message);
      throw e;
    }
  }
  const f = (x: number) => (Number.isFinite(x) ? x.toFixed(4) : 'n/a');
  const current = verdicts[0]?.current;
  process.stdout.write(
    [
      `scope ${o.scope}: ${log.length} rewarded decisions of its policy (fallbacks and explicit models left out); current value ${current ? f(current.estimate) : 'n/a'}; gate: SNIPS and DR lower bounds >= current - ${o.tolerance}`,
      ...verdicts.map(
        (v) =>
          `  ${v.candidate.algorithm.padEnd(28)} SNIPS ${f(v.snips.figures.candidate.estimate)} (lower ${f(v.snips.figures.candidate.lower)})  DR ${f(v.dr.figures.candidate.estimate)} (lower ${f(v.dr.figures.candidate.lower)})  ESS ${f(v.snips.figures.candidate.effectiveSampleSize)}  ${v.pass ? 'PASS' : 'REFUSE'}`,
      ),
    ].join('\n') + '\n',
  );
  if (o.json)
    process.stdout.write(
      JSON.stringify({
        source: 'db',
        scope: o.scope,
        n: log.length,
        tolerance: o.tolerance,
        level: o.level,
        candidates: verdicts,
      }) + '\n',
    );
}

function parseOptions(raw: string | undefined): Record<string, Record<string, unknown>> {
  if (!raw) return {};
  try {
    const v: unknown = JSON.parse(raw);
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) return v as Record<string, Record<string, unknown>>;
  } catch {
    /* reported below */
  }
  throw new UsageError('--options must be a JSON object of policy name -> options (as POLICY_OPTIONS)');
}

function expandCandidates(list: string, arms: string[]): string[] {
  const out: string[] = [];
  for (const c of list
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean))
    if (c === 'fixed:*') out.push(...arms.map((a) => `fixed:${a}`));
    else out.push(c);
  if (out.length === 0) throw new UsageError('no candidates');
  return out;
}
