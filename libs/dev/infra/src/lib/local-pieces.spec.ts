import { watchdogScript } from './cleanup';
import { kafkaLibDir, kafkaVersion } from './paths';
import { freePorts } from './ports';
import { postgresTuning } from './postgres-local';

describe('watchdogScript', () => {
  const p = {
    name: 'kafka',
    pid: 4242,
    cmdlineMatch: "/tmp/it's/server.properties",
    stopSignal: 'SIGKILL' as const,
    dirs: ["/tmp/it's"],
    keepDirs: false,
  };

  it('waits for the owner, then kills the group and removes the dirs', () => {
    const script = watchdogScript(100, p);
    expect(script).toContain('while kill -0 100 ');
    expect(script).toContain('kill -KILL 4242');
    expect(script).toContain('kill -KILL -- -4242');
    expect(script).toContain(`rm -rf -- '/tmp/it'\\''s'`);
  });

  it('leaves kept dirs alone', () => {
    expect(watchdogScript(100, { ...p, keepDirs: true })).not.toContain('rm -rf');
  });
});

describe('postgresTuning', () => {
  it('listens on loopback only and puts the socket in the temp dir', () => {
    const conf = postgresTuning("/tmp/pg'1");
    expect(conf).toContain("listen_addresses = '127.0.0.1'");
    expect(conf).toContain("unix_socket_directories = '/tmp/pg''1'");
    expect(conf).toContain('fsync = off');
  });
});

describe('paths', () => {
  it('caches Kafka jars per version outside the work tree', () => {
    expect(kafkaVersion({})).toBe('4.1.1');
    expect(kafkaVersion({ KAFKA_VERSION: '4.0.0' })).toBe('4.0.0');
    expect(kafkaLibDir('4.1.1', { XDG_CACHE_HOME: '/c' })).toBe('/c/llm-router/kafka-4.1.1/lib');
    expect(kafkaLibDir('4.1.1', { LLM_ROUTER_CACHE_DIR: '/x' })).toBe('/x/kafka-4.1.1/lib');
  });
});

describe('freePorts', () => {
  it('hands out distinct loopback ports', async () => {
    const ports = await freePorts(5);
    expect(new Set(ports).size).toBe(5);
    for (const port of ports) expect(port).toBeGreaterThan(0);
  });
});
