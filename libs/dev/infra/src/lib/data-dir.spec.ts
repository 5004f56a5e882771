import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  choosePorts,
  clearDataDir,
  dataDirLayout,
  defaultDataDir,
  lockDataDir,
  prepareDataDir,
  readRememberedPorts,
  writeRememberedPorts,
} from './data-dir';

describe('defaultDataDir', () => {
  it('is DATA_DIR, else $XDG_DATA_HOME/llm-router, else ~/.local/share/llm-router', () => {
    expect(defaultDataDir({ DATA_DIR: '/srv/state', XDG_DATA_HOME: '/x' })).toBe('/srv/state');
    expect(defaultDataDir({ XDG_DATA_HOME: '/x' })).toBe('/x/llm-router');
    expect(defaultDataDir({ DATA_DIR: '  ' })).toBe(join(homedir(), '.local', 'share', 'llm-router'));
  });
});

describe('remembered ports', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'data-dir-spec-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads back what was written, and nothing from a missing or malformed file', () => {
    const file = join(dir, 'ports.json');
    expect(readRememberedPorts(file)).toBeUndefined();
    writeRememberedPorts(file, { kafkaPort: 40001, kafkaControllerPort: 40002, postgresPort: 40003 });
    expect(readRememberedPorts(file)).toEqual({ kafkaPort: 40001, kafkaControllerPort: 40002, postgresPort: 40003 });
    writeFileSync(file, '{"kafkaPort": 1}');
    expect(readRememberedPorts(file)).toBeUndefined();
    writeFileSync(file, 'not json');
    expect(readRememberedPorts(file)).toBeUndefined();
  });

  it('keeps the remembered set only when every port of it is free', async () => {
    const pick = jest.fn(async () => ({ port: 2, controllerPort: 3 }));
    const remembered = { port: 10, controllerPort: 11 };
    expect(await choosePorts(remembered, async () => true, pick)).toBe(remembered);
    expect(pick).not.toHaveBeenCalled();
    expect(await choosePorts(remembered, async (p) => p !== 11, pick)).toEqual({ port: 2, controllerPort: 3 });
    expect(await choosePorts(undefined, async () => true, pick)).toEqual({ port: 2, controllerPort: 3 });
  });
});

describe('clearDataDir', () => {
  let parent: string;
  beforeEach(() => (parent = mkdtempSync(join(tmpdir(), 'data-dir-spec-'))));
  afterEach(() => rmSync(parent, { recursive: true, force: true }));

  it('deletes a data dir and the cluster folder it links to', () => {
    const root = join(parent, 'state');
    const layout = prepareDataDir(root);
    const elsewhere = join(parent, 'pg-elsewhere');
    mkdirSync(join(elsewhere, 'data'), { recursive: true });
    symlinkSync(elsewhere, layout.postgresDir);
    writeFileSync(join(root, 'api-keys.json'), '{}');
    clearDataDir(root);
    expect(existsSync(root)).toBe(false);
    expect(existsSync(elsewhere)).toBe(false);
  });

  it('refuses a folder with files that it did not create', () => {
    writeFileSync(join(parent, 'thesis.tex'), 'years of work');
    expect(() => clearDataDir(parent)).toThrow(/not an llm-router data dir/);
    expect(readFileSync(join(parent, 'thesis.tex'), 'utf8')).toBe('years of work');
  });

  it('is a no-op for a folder that does not exist, and empties an empty one', () => {
    expect(() => clearDataDir(join(parent, 'missing'))).not.toThrow();
    const empty = join(parent, 'empty');
    mkdirSync(empty);
    clearDataDir(empty);
    expect(existsSync(empty)).toBe(false);
  });

  it('refuses a data dir that a live process holds', () => {
    const root = join(parent, 'state');
    prepareDataDir(root);
    const unlock = lockDataDir(root);
    try {
      expect(() => clearDataDir(root)).toThrow(`in use by process ${process.pid}`);
    } finally {
      unlock();
    }
    clearDataDir(root);
    expect(existsSync(root)).toBe(false);
  });
});

describe('lockDataDir', () => {
  let root: string;
  beforeEach(() => (root = mkdtempSync(join(tmpdir(), 'data-dir-spec-'))));
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('is held by one process at a time and released by its release function', () => {
    const { lockFile } = dataDirLayout(root);
    // A live process that is not this one holds it.
    writeFileSync(lockFile, `${process.ppid}\n`);
    expect(() => lockDataDir(root)).toThrow(`in use by process ${process.ppid}`);
    // A lock left by a process that is gone is taken over.
    writeFileSync(lockFile, '999999999\n');
    const release = lockDataDir(root);
    expect(readFileSync(lockFile, 'utf8').trim()).toBe(String(process.pid));
    release();
    expect(existsSync(lockFile)).toBe(false);
  });
});
