// npm run -s infra -- run -- npx tsx --tsconfig tsconfig.typecheck.json libs/io/kafka/examples/basic.ts
import { Topic } from '@llm-router/contracts';
import { createKafka, MessageProducer, TopicConsumer } from '../src';

async function main() {
  const kafka = createKafka({ brokers: process.env['KAFKA_BROKERS']!.split(','), clientId: 'example' });
  const producer = new MessageProducer(kafka);
  await producer.connect();
  const consumer = new TopicConsumer(kafka, producer, {
    groupId: `example-${Date.now()}`,
    topics: [Topic.Queries],
    fromBeginning: true,
  });
  const done = new Promise<void>((resolve) =>
    consumer.runEach(async (m) => {
      console.log('received', m.topic, m.key, m.value);
      resolve();
    }),
  );
  await producer.send(Topic.Queries, { id: 'q1', messages: [{ role: 'user', content: 'hello' }] });
  await done;
  await consumer.stop();
  await producer.disconnect();
}
main();
