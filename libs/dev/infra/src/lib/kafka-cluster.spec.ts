import { clusterNodeProperties, clusterReplication } from './kafka-cluster';
import { planTopics } from './topics';

const props = (text: string) =>
  Object.fromEntries(
    text
      .split('\n')
      .filter((l) => l && !l.startsWith('#'))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );

describe('a local KRaft cluster', () => {
  const nodes = [
    { port: 9001, controllerPort: 9101 },
    { port: 9002, controllerPort: 9102 },
    { port: 9003, controllerPort: 9103 },
  ];

  it('replicates three ways and acknowledges with two in sync, so one broker can die', () => {
    expect(clusterReplication(3)).toEqual({ replicationFactor: 3, minInsyncReplicas: 2 });
    expect(clusterReplication(1)).toEqual({ replicationFactor: 1, minInsyncReplicas: 1 });
  });

  it('gives each node its id and ports, and all of them the same three voters', () => {
    const second = props(clusterNodeProperties(nodes, 1, '/tmp/x/data'));
    expect(second['node.id']).toBe('2');
    expect(second['listeners']).toBe('PLAINTEXT://127.0.0.1:9002,CONTROLLER://127.0.0.1:9102');
    expect(second['controller.quorum.voters']).toBe('1@127.0.0.1:9101,2@127.0.0.1:9102,3@127.0.0.1:9103');
    expect(second['log.dirs']).toBe('/tmp/x/data');
  });

  it('replicates internal topics like the others', () => {
    const p = props(clusterNodeProperties(nodes, 0, '/d'));
    for (const key of [
      'default.replication.factor',
      'offsets.topic.replication.factor',
      'transaction.state.log.replication.factor',
    ])
      expect(p[key]).toBe('3');
    expect(p['min.insync.replicas']).toBe('2');
    expect(p['transaction.state.log.min.isr']).toBe('2');
  });

  it('creates topics with the replication factor asked for, 1 by default', () => {
    const topic = { name: 't', partitions: 2, compacted: false };
    expect(planTopics([topic])[0].replicationFactor).toBe(1);
    expect(planTopics([topic], undefined, 3)[0].replicationFactor).toBe(3);
  });
});
