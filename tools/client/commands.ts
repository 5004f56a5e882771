import { ClientConfig } from './config';
import { HttpError, joinUrl, readEvents, send, sendJson } from './http';
import { AskOptions, ClientCommands, PriceOptions } from './program';

/** Where results go: the answer on stdout, what it cost and which model on stderr (so stdout pipes cleanly). */
export interface Output {
  out(text: string): void;
  err(text: string): void;
}

export const processOutput: Output = {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
};

interface ChatAnswer {
  model: string;
  choices: { message: { content: string | null } }[];
  router: { decision_id: string; scope: string; cost_usd: number };
}

interface RewardEvent {
  ts: string;
  scope: string;
  arm: string;
  quality: number;
  costUsd: number;
  reward: number;
  rewardsApplied: number;
  decisionId: string;
}

const enc = encodeURIComponent;

/** One reward as `watch` prints it. */
export function rewardLine(e: RewardEvent): string {
  return [
    e.ts,
    e.scope,
    e.arm,
    `quality=${Number(e.quality).toFixed(3)}`,
    `cost=$${Number(e.costUsd).toPrecision(3)}`,
    `reward=${Number(e.reward).toFixed(4)}`,
    `#${e.rewardsApplied}`,
    e.decisionId,
  ].join(' ');
}

/** The commands against the services named by the configuration. */
export function serviceCommands(c: ClientConfig, io: Output = processOutput): ClientCommands {
  const priceBody = (model: string, o: PriceOptions) => ({
    model,
    inputPerM: o.input,
    outputPerM: o.output,
    ...(o.confirm ? { confirm: true } : {}),
  });
  const admin = (path: string, method: 'POST' | 'DELETE', body?: unknown) =>
    sendJson<Record<string, unknown>>(joinUrl(c.PRICE_WATCHER_URL, path), { method, body, token: c.ADMIN_TOKEN });
  const priceLine = (r: Record<string, unknown>) => {
    const p = r['price'] as { inputPerM: number; outputPerM: number } | undefined;
    return p ? ` (input $${p.inputPerM}/M, output $${p.outputPerM}/M)` : '';
  };

  return {
    async ask(prompt: string, o: AskOptions) {
      const model = o.model ?? (o.scope ? `auto:${o.scope}` : 'auto');
      const body = { model, messages: [{ role: 'user', content: prompt }], stream: o.stream };
      const url = joinUrl(c.ROUTER_URL, '/v1/chat/completions');
      if (!o.stream) {
        const { body: a } = await sendJson<ChatAnswer>(url, { method: 'POST', body, token: c.ROUTER_API_KEY });
        io.out(`${a.choices[0]?.message.content ?? ''}\n`);
        io.err(`[${a.model} · scope ${a.router.scope} · $${a.router.cost_usd} · decision ${a.router.decision_id}]\n`);
        return;
      }
      const res = await send(url, { method: 'POST', body, token: c.ROUTER_API_KEY, accept: 'text/event-stream' });
      let failure: string | undefined;
      await readEvents(res, (e) => {
        if (e.data === '[DONE]') return;
        const chunk = JSON.parse(e.data) as {
          choices?: { delta?: { content?: string } }[];
          error?: { message: string };
        };
        if (chunk.error) failure = chunk.error.message;
        const text = chunk.choices?.[0]?.delta?.content;
        if (text) io.out(text);
      });
      io.out('\n');
      // The cost comes as an HTTP trailer, which fetch does not expose: the model and decision are in the headers.
      const h = (n: string) => res.headers.get(n) ?? '?';
      io.err(`[${h('x-router-model')} · scope ${h('x-router-scope')} · decision ${h('x-router-decision-id')}]\n`);
      if (failure) throw new Error(`the model failed mid-answer: ${failure}`);
    },

    async watch(o: { scope?: string }) {
      const query = o.scope ? `?scope=${enc(o.scope)}` : '';
      const res = await send(joinUrl(c.AGGREGATOR_URL, `/streams/rewards${query}`), {
        token: c.ADMIN_TOKEN,
        accept: 'text/event-stream',
      });
      io.err(`watching rewards${o.scope ? ` of ${o.scope}` : ''} (Ctrl-C to stop)\n`);
      await readEvents(res, (e) => {
        const r = JSON.parse(e.data) as RewardEvent;
        if (!o.scope || r.scope === o.scope) io.out(rewardLine(r) + '\n');
      });
    },

    async priceSet(model: string, o: PriceOptions) {
      const { body: r } = await admin('/admin/prices', 'POST', priceBody(model, o));
      io.out(`${model}: ${r['status']}${priceLine(r)}\n`);
    },

    async modelAdd(model: string, o: PriceOptions & { endpoint?: string }) {
      const { body: r } = await admin('/admin/models', 'POST', {
        ...priceBody(model, o),
        ...(o.endpoint ? { endpoint: o.endpoint } : {}),
      });
      io.out(`${model}: ${r['catalog'] ?? r['status']}${priceLine(r)}\n`);
    },

    async modelRemove(model: string) {
      const { body: r } = await admin(`/admin/models/${enc(model)}`, 'DELETE');
      io.out(`${model}: ${r['status']}\n`);
    },

    async policySwitch(scope: string, algorithm: string) {
      const url = joinUrl(c.AGGREGATOR_URL, `/admin/scopes/${enc(scope)}/policy`);
      try {
        const { body: r } = await sendJson<Record<string, unknown>>(url, {
          method: 'POST',
          body: { algorithm },
          token: c.ADMIN_TOKEN,
        });
        io.out(`${scope}: ${JSON.stringify(r)}\n`);
      } catch (e) {
        // Nest's 404 for an unknown route says "Cannot POST ...": an aggregator from before the endpoint.
        if (e instanceof HttpError && e.status === 404 && /^Cannot POST/.test(e.reason))
          throw new HttpError(
            e.method,
            e.url,
            e.status,
            e.reason,
            'This reward-aggregator has no policy switch endpoint (POST /admin/scopes/:scope/policy): it needs a newer version.',
          );
        throw e;
      }
    },
  };
}
