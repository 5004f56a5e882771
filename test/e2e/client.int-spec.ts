import { execFile, spawn } from 'node:child_process';
import { join } from 'node:path';
import { Topic } from '@llm-router/contracts';
import { writeSyntheticDataset } from '../../tools/lib/synthetic-data';
import { waitFor } from '../support/kafka-test-kit';
import { useStack } from '../support/use-stack';

const BIN = join(__dirname, '../../tools/client/bin.js');
const ADMIN_TOKEN = 'test-admin-token';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * The terminal client as a user runs it (the package's bin, a child process) against the real
 * stack: the router's /v1 API for ask, the price-watcher's admin API for price set, the
 * aggregator for policy switch.
 */
describe('llm-router terminal client', () => {
  const e2e = useStack({
    database: 'client',
    dataset: () => writeSyntheticDataset(20),
    topics: [Topic.Decisions, Topic.Prices],
  });
  let env: Record<string, string>;

  const client = (args: string[], extraEnv: Record<string, string> = {}): Promise<Run> =>
    new Promise((done) => {
      execFile(
        process.execPath,
        [BIN, ...args],
        { env: { ...process.env, ...env, ...extraEnv }, timeout: 120000 },
        (err, stdout, stderr) => done({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });

  beforeAll(async () => {
    env = {
      ROUTER_URL: await e2e.stack.url(e2e.stack.routers[0]),
      AGGREGATOR_URL: await e2e.stack.url(e2e.stack.aggregators[0]),
      PRICE_WATCHER_URL: await e2e.stack.url(e2e.stack.priceWatcher),
      ADMIN_TOKEN,
    };
    // The router answers once it knows the models' prices.
    await waitFor('the router to know the models', async () => {
      const models = await (await fetch(`${env['ROUTER_URL']}/v1/models`)).json();
      return models.data.length === 4;
    });
  });

  it('ask: prints the routed answer on stdout and the choice on stderr', async () => {
    const r = await client(['ask', 'Question 3 about poetry: explain item 3.']);
    expect(r.stderr).toMatch(/^\[acme\/\S+ · scope default · \$[\d.e-]+ · decision dec_\w+\]\n$/);
    expect(r.code).toBe(0);
    const [, model, decisionId] = /^\[(\S+) · .* decision (dec_\w+)\]/.exec(r.stderr)!;
    expect(r.stdout.trim()).toContain(`[replay ${model}`);
    const decision = await waitFor('the decision on routing.decisions', () =>
      e2e.sink.of(Topic.Decisions).find((d) => d.value.decisionId === decisionId),
    );
    expect(decision.value.arm).toBe(model);
  });

  it('ask --model --stream: the chosen model, streamed', async () => {
    const r = await client(['ask', 'Question 4 about physics: explain item 4.', '--model', 'acme/large', '--stream']);
    expect(r.stderr).toMatch(/^\[acme\/large · scope default · decision dec_\w+\]\n$/);
    expect(r.stdout).toMatch(/^\[replay acme\/large/);
    expect(r.code).toBe(0);
  });

  it('ask: an unknown model is the router’s 404, exit code 1', async () => {
    const r = await client(['ask', 'hi', '--model', 'nobody/nothing']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^llm-router: POST http:\/\/\S+\/v1\/chat\/completions answered HTTP 404: .*nobody\/nothing/,
    );
  });

  it('watch: one line per reward of the scope, as the aggregator streams it', async () => {
    const watcher = spawn(process.execPath, [BIN, 'watch', '--scope', 'default'], { env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    watcher.stdout.on('data', (c) => (stdout += c));
    watcher.stderr.on('data', (c) => (stderr += c));
    try {
      await waitFor('the watcher to subscribe', () => stderr.includes('watching rewards of default'));
      const asked = await client(['ask', 'Question 8 about poetry: explain item 8.']);
      const [, model, decisionId] = /^\[(\S+) · .* decision (dec_\w+)\]/.exec(asked.stderr)!;
      const fed = await fetch(`${env['ROUTER_URL']}/v1/feedback`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ decisionId, quality: 0.7 }),
      });
      expect(fed.status).toBe(202);
      const line = await waitFor('the reward line', () => stdout.split('\n').find((l) => l.endsWith(` ${decisionId}`)));
      expect(line).toMatch(
        new RegExp(`^\\S+ default ${model} quality=0\\.700 cost=\\$[\\d.e-]+ reward=-?[\\d.]+ #\\d+ ${decisionId}$`),
      );
    } finally {
      watcher.kill();
    }
  });

  it('price set: the price-watcher accepts the price and publishes it', async () => {
    const r = await client(['price', 'set', 'acme/small', '--input', '0.12', '--output', '0.13']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('acme/small: accepted (input $0.12/M, output $0.13/M)\n');
    expect(r.code).toBe(0);
    const prices = await (await fetch(`${env['PRICE_WATCHER_URL']}/prices`)).json();
    expect(prices.prices.find((p: { model: string }) => p.model === 'acme/small')).toMatchObject({
      inputPerM: 0.12,
      outputPerM: 0.13,
    });
    await waitFor('the new price on model.prices', () =>
      e2e.sink.of(Topic.Prices).find((m) => m.value.model === 'acme/small' && m.value.inputPerM === 0.12),
    );
    expect((await client(['price', 'set', 'acme/small', '--input', '0.12', '--output', '0.13'])).stdout).toBe(
      'acme/small: unchanged (input $0.12/M, output $0.13/M)\n',
    );
  });

  it('price set: shows the refusal of a wrong token, an unknown model, a jump without --confirm', async () => {
    const wrong = await client(['price', 'set', 'acme/small', '--input', '1', '--output', '1'], {
      ADMIN_TOKEN: 'wrong',
    });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/answered HTTP 401: invalid admin token/);
    const unknown = await client(['price', 'set', 'acme/typo', '--input', '1', '--output', '1']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/answered HTTP 404: unknown model acme\/typo/);
    // 0.5/1.5 to 50/150: a hundredfold jump, over MAX_PRICE_JUMP (10) unless confirmed.
    const jump = await client(['price', 'set', 'acme/medium', '--input', '50', '--output', '150']);
    expect(jump.code).toBe(1);
    expect(jump.stderr).toMatch(/answered HTTP 409: /);
    const confirmed = await client(['price', 'set', 'acme/medium', '--input', '50', '--output', '150', '--confirm']);
    expect(confirmed.stdout).toMatch(/^acme\/medium: accepted/);
  });

  it('model remove | add: the model leaves the catalogue and comes back', async () => {
    const removed = await client(['model', 'remove', 'acme/large']);
    expect(removed.stdout).toBe('acme/large: removed\n');
    const listed = async () =>
      ((await (await fetch(`${env['PRICE_WATCHER_URL']}/prices`)).json()).prices as { model: string }[]).map(
        (p) => p.model,
      );
    expect(await listed()).not.toContain('acme/large');
    const added = await client(['model', 'add', 'acme/large', '--input', '2', '--output', '6']);
    expect(added.code).toBe(0);
    expect(added.stdout).toMatch(/^acme\/large: (added|enabled) \(input \$2\/M, output \$6\/M\)\n$/);
    expect(await listed()).toContain('acme/large');
  });

  it("policy switch: goes through the aggregator's gate and shows its verdict", async () => {
    // The gate (POST /admin/scopes/:scope/policy) passes with 200 or refuses with 409 and its
    // figures; on this short log it may do either: the client must report which.
    const r = await client(['policy', 'switch', 'default', 'thompson']);
    if (r.code === 0) expect(r.stdout).toMatch(/^default: \{/);
    else {
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`POST ${env['AGGREGATOR_URL']}/admin/scopes/default/policy answered HTTP 409`);
    }
    // An unknown policy is refused by name before any evaluation.
    const bad = await client(['policy', 'switch', 'default', 'no-such-policy']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('answered HTTP 400');
  });
});
