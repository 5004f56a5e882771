import { CommanderError } from 'commander';
import { buildProgram, ClientCommands } from './program';

/** Every command records what it was called with: the parse is what is under test. */
function recorder() {
  const calls: [string, ...unknown[]][] = [];
  const record =
    (name: string) =>
    async (...args: unknown[]) =>
      void calls.push([name, ...args]);
  const commands: ClientCommands = {
    ask: record('ask'),
    watch: record('watch'),
    priceSet: record('priceSet'),
    modelAdd: record('modelAdd'),
    modelRemove: record('modelRemove'),
    policySwitch: record('policySwitch'),
  };
  const program = buildProgram(commands);
  const output: string[] = [];
  const capture = { writeOut: (s: string) => output.push(s), writeErr: (s: string) => output.push(s) };
  program.configureOutput(capture);
  for (const c of program.commands) {
    c.configureOutput(capture);
    for (const sub of c.commands) sub.configureOutput(capture);
  }
  const run = async (...argv: string[]) => {
    await program.parseAsync(argv, { from: 'user' });
    return calls[calls.length - 1];
  };
  const fails = async (...argv: string[]) => {
    const e = await program.parseAsync(argv, { from: 'user' }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(CommanderError);
    return { error: e as CommanderError, output: output.join('') };
  };
  return { run, fails, calls, output };
}

describe('llm-router argument parsing', () => {
  it('ask: the prompt, and auto routing unless a scope or a model is given', async () => {
    const r = recorder();
    expect(await r.run('ask', 'hello there')).toEqual(['ask', 'hello there', { stream: false }]);
    expect(await r.run('ask', 'q', '--scope', 'support', '--stream')).toEqual([
      'ask',
      'q',
      { scope: 'support', stream: true },
    ]);
    expect(await r.run('ask', 'q', '--model', 'openai/gpt-4o-mini')).toEqual([
      'ask',
      'q',
      { model: 'openai/gpt-4o-mini', stream: false },
    ]);
  });

  it('ask: refuses a scope and a model together, and a missing prompt', async () => {
    const r = recorder();
    expect((await r.fails('ask', 'q', '--scope', 's', '--model', 'm')).output).toMatch(
      /option '--scope <scope>' cannot be used with option '--model <model>'/,
    );
    expect((await r.fails('ask')).output).toMatch(/missing required argument 'prompt'/);
    expect(r.calls).toEqual([]);
  });

  it('watch: optional scope', async () => {
    const r = recorder();
    expect(await r.run('watch')).toEqual(['watch', {}]);
    expect(await r.run('watch', '--scope', 'default')).toEqual(['watch', { scope: 'default' }]);
  });

  it('price set: numeric prices, both required, never negative', async () => {
    const r = recorder();
    expect(
      await r.run('price', 'set', 'meta-llama/llama-3.1-8b-instruct', '--input', '0.05', '--output', '0.08'),
    ).toEqual(['priceSet', 'meta-llama/llama-3.1-8b-instruct', { input: 0.05, output: 0.08, confirm: false }]);
    expect(await r.run('price', 'set', 'm', '--input', '1', '--output', '2', '--confirm')).toEqual([
      'priceSet',
      'm',
      { input: 1, output: 2, confirm: true },
    ]);
    expect((await r.fails('price', 'set', 'm', '--input', '1')).output).toMatch(
      /required option '--output <usd>' not specified/,
    );
    expect((await r.fails('price', 'set', 'm', '--input', 'cheap', '--output', '1')).output).toMatch(
      /must be a number, got 'cheap'/,
    );
    expect((await r.fails('price', 'set', 'm', '--input', '-1', '--output', '1')).output).toMatch(/must be >= 0/);
    expect(r.calls).toHaveLength(2);
  });

  it('model add|remove', async () => {
    const r = recorder();
    expect(
      await r.run(
        'model',
        'add',
        'google/gemini-2.5-flash',
        '--input',
        '0.3',
        '--output',
        '2.5',
        '--endpoint',
        'https://x.test/v1',
      ),
    ).toEqual([
      'modelAdd',
      'google/gemini-2.5-flash',
      { input: 0.3, output: 2.5, confirm: false, endpoint: 'https://x.test/v1' },
    ]);
    expect(await r.run('model', 'remove', 'google/gemini-2.5-flash')).toEqual([
      'modelRemove',
      'google/gemini-2.5-flash',
    ]);
    expect((await r.fails('model', 'add', 'm')).output).toMatch(/required option '--input <usd>' not specified/);
    expect((await r.fails('model', 'rename', 'm')).output).toMatch(/unknown command 'rename'/);
  });

  it('policy switch: scope and algorithm, both required', async () => {
    const r = recorder();
    expect(await r.run('policy', 'switch', 'default', 'linucb')).toEqual(['policySwitch', 'default', 'linucb']);
    expect((await r.fails('policy', 'switch', 'default')).output).toMatch(/missing required argument 'algorithm'/);
  });

  it('has --help on every command', async () => {
    for (const argv of [
      [],
      ['ask'],
      ['watch'],
      ['price'],
      ['price', 'set'],
      ['model', 'add'],
      ['model', 'remove'],
      ['policy', 'switch'],
    ]) {
      const r = recorder();
      const { error, output } = await r.fails(...argv, '--help');
      expect(error.exitCode).toBe(0);
      expect(output).toMatch(/^Usage: llm-router/);
    }
  });
});
