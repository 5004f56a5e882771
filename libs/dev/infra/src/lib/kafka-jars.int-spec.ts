/** The Maven path of the jar cache, on a private cache dir so the machine's cache is untouched. */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JAR_STAMP_FILE, jarStamp } from './kafka-config';
import { ensureKafkaJars } from './kafka-local';
import type { InfraLogger } from './logger';
import { DEFAULT_KAFKA_VERSION, kafkaPomPath } from './paths';

const quiet: InfraLogger = { info: () => undefined, warn: () => undefined };

describe('ensureKafkaJars', () => {
  const saved = process.env['LLM_ROUTER_CACHE_DIR'];
  const cache = mkdtempSync(join(tmpdir(), 'llm-router-jar-cache-'));
  beforeAll(() => {
    process.env['LLM_ROUTER_CACHE_DIR'] = cache;
  });
  afterAll(() => {
    if (saved === undefined) delete process.env['LLM_ROUTER_CACHE_DIR'];
    else process.env['LLM_ROUTER_CACHE_DIR'] = saved;
    rmSync(cache, { recursive: true, force: true });
  });

  it('downloads once with Maven, stamps the cache with the pom, then reuses it', async () => {
    const first = await ensureKafkaJars(DEFAULT_KAFKA_VERSION, quiet);
    expect(first).toEqual({
      libDir: join(cache, `kafka-${DEFAULT_KAFKA_VERSION}`, 'lib'),
      downloaded: true,
    });
    expect(existsSync(join(first.libDir, `kafka_2.13-${DEFAULT_KAFKA_VERSION}.jar`))).toBe(true);
    expect(readFileSync(join(first.libDir, JAR_STAMP_FILE), 'utf8').trim()).toBe(
      jarStamp(readFileSync(kafkaPomPath())),
    );

    const second = await ensureKafkaJars(DEFAULT_KAFKA_VERSION, quiet);
    expect(second).toEqual({ libDir: first.libDir, downloaded: false });
  });
});
