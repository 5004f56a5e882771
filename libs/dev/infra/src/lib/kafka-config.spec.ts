import { createHash } from 'node:crypto';
import {
  CLUSTER_ID_PATTERN,
  generateClusterId,
  jarStamp,
  kafkaJvmArgs,
  kafkaServerProperties,
  kafkaTuning,
} from './kafka-config';
import { kafkaImageEnv } from './docker';

function parseProperties(text: string): Map<string, string> {
  const entries = text
    .split('\n')
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => {
      const i = line.indexOf('=');
      return [line.slice(0, i), line.slice(i + 1)] as const;
    });
  return new Map(entries);
}

describe('generateClusterId', () => {
  it('is 22 chars of base64url that never starts with "-"', () => {
    for (let i = 0; i < 2000; i++) {
      const id = generateClusterId();
      expect(id).toHaveLength(22);
      expect(id).toMatch(CLUSTER_ID_PATTERN);
      expect(id.startsWith('-')).toBe(false);
    }
  });

  it('draws again for a leading "-" and for the reserved all-zero id', () => {
    const leadingDash = Buffer.alloc(16, 0xf8); // 0b111110.. encodes to '-' first
    const zero = Buffer.alloc(16, 0);
    const good = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
    const draws = [leadingDash, zero, good];
    expect(leadingDash.toString('base64url').startsWith('-')).toBe(true);

    const id = generateClusterId(() => draws.shift()!);

    expect(id).toBe(good.toString('base64url'));
    expect(draws).toHaveLength(0);
  });
});

describe('kafkaServerProperties', () => {
  const props = parseProperties(
    kafkaServerProperties({
      port: 19092,
      controllerPort: 19093,
      logDir: '/tmp/k/data',
    }),
  );

  it('configures a single KRaft broker+controller on loopback', () => {
    expect(props.get('process.roles')).toBe('broker,controller');
    expect(props.get('node.id')).toBe('1');
    expect(props.get('controller.quorum.voters')).toBe('1@127.0.0.1:19093');
    expect(props.get('listeners')).toBe('PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093');
    expect(props.get('advertised.listeners')).toBe('PLAINTEXT://127.0.0.1:19092');
    expect(props.get('controller.listener.names')).toBe('CONTROLLER');
    expect(props.get('inter.broker.listener.name')).toBe('PLAINTEXT');
    expect(props.get('log.dirs')).toBe('/tmp/k/data');
  });

  it('is tuned for a small test machine', () => {
    expect(props.get('auto.create.topics.enable')).toBe('false');
    expect(props.get('num.partitions')).toBe('1');
    expect(props.get('group.initial.rebalance.delay.ms')).toBe('0');
    expect(props.get('offsets.topic.num.partitions')).toBe('3');
    expect(props.get('offsets.topic.replication.factor')).toBe('1');
    expect(props.get('transaction.state.log.replication.factor')).toBe('1');
    expect(props.get('transaction.state.log.min.isr')).toBe('1');
    expect(Number(props.get('log.segment.bytes'))).toBeLessThanOrEqual(64 * 1024 * 1024);
  });

  it('lets overrides win and escapes backslashes for java.util.Properties', () => {
    const text = kafkaServerProperties({
      port: 1,
      controllerPort: 2,
      logDir: 'C:\\kafka',
      overrides: { 'num.partitions': 4 },
    });
    const overridden = parseProperties(text);
    expect(overridden.get('num.partitions')).toBe('4');
    expect(overridden.get('log.dirs')).toBe('C:\\\\kafka');
    expect(text.match(/^num\.partitions=/gm)).toHaveLength(1);
  });
});

describe('kafkaServerProperties with SASL', () => {
  const props = parseProperties(
    kafkaServerProperties({
      port: 19092,
      controllerPort: 19093,
      logDir: '/tmp/k/data',
      sasl: { adminUsername: 'admin', adminPassword: 'abc123' },
    }),
  );

  it('takes clients on SCRAM-SHA-512 only, with the broker itself as the super user', () => {
    expect(props.get('listeners')).toBe('SASL_PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093');
    expect(props.get('advertised.listeners')).toBe('SASL_PLAINTEXT://127.0.0.1:19092');
    expect(props.get('listener.security.protocol.map')).toBe('SASL_PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:SASL_PLAINTEXT');
    expect(props.get('inter.broker.listener.name')).toBe('SASL_PLAINTEXT');
    expect(props.get('sasl.enabled.mechanisms')).toBe('SCRAM-SHA-512');
    expect(props.get('sasl.mechanism.inter.broker.protocol')).toBe('SCRAM-SHA-512');
    expect(props.get('listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config')).toBe(
      'org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="abc123";',
    );
  });

  it('authenticates the controller listener with PLAIN and denies what no ACL allows', () => {
    expect(props.get('sasl.mechanism.controller.protocol')).toBe('PLAIN');
    expect(props.get('listener.name.controller.plain.sasl.jaas.config')).toContain('user_admin="abc123"');
    expect(props.get('authorizer.class.name')).toBe('org.apache.kafka.metadata.authorizer.StandardAuthorizer');
    expect(props.get('super.users')).toBe('User:admin');
    expect(props.get('allow.everyone.if.no.acl.found')).toBe('false');
  });

  it('writes each listener key once', () => {
    const text = kafkaServerProperties({
      port: 1,
      controllerPort: 2,
      logDir: '/d',
      sasl: { adminUsername: 'admin', adminPassword: 'x' },
    });
    for (const key of ['listeners', 'advertised.listeners', 'inter.broker.listener.name'])
      expect(text.match(new RegExp(`^${key.replace(/\./g, '\\.')}=`, 'gm'))).toHaveLength(1);
  });
});

describe('kafkaJvmArgs', () => {
  it('runs the main class from the cached jars with a small heap and the log4j2 config', () => {
    const args = kafkaJvmArgs(
      {
        libDir: '/cache/lib',
        log4jConfig: '/repo/log4j2.xml',
        extra: ['-Dx=1'],
      },
      'kafka.Kafka',
      ['server.properties'],
    );
    expect(args).toContain('-Xmx512m');
    expect(args).toContain('-Dlog4j2.configurationFile=/repo/log4j2.xml');
    expect(args.slice(-4)).toEqual(['-cp', '/cache/lib/*', 'kafka.Kafka', 'server.properties']);
    expect(args.indexOf('-Dx=1')).toBeLessThan(args.indexOf('-cp'));
  });
});

describe('jarStamp', () => {
  it('is the sha256 of the pom, as `sha256sum` prints it in bootstrap.sh', () => {
    const pom = '<project/>\n';
    expect(jarStamp(pom)).toBe(createHash('sha256').update(pom).digest('hex'));
    expect(jarStamp(pom)).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('kafkaImageEnv', () => {
  it('maps properties to the apache/kafka image convention', () => {
    expect(
      kafkaImageEnv({
        'group.initial.rebalance.delay.ms': 0,
        'auto.create.topics.enable': false,
      }),
    ).toEqual({
      KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
      KAFKA_AUTO_CREATE_TOPICS_ENABLE: 'false',
    });
  });

  it('can map every tuning property (none contains "_" or "-", which the image would misread)', () => {
    for (const key of Object.keys(kafkaTuning)) expect(key).toMatch(/^[a-z.]+$/);
  });
});
