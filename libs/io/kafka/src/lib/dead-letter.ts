import { KafkaMessage } from 'kafkajs';
import { DeadLetter, dlqTopic } from '@llm-router/contracts';
import { MessageProducer } from './producer';

/** Parks a message that cannot be processed on `<topic>.dlq`, bytes intact, with the reason. */
export async function sendToDeadLetter(
  producer: MessageProducer,
  consumer: string,
  topic: string,
  partition: number,
  message: Pick<KafkaMessage, 'key' | 'value' | 'offset'>,
  error: string,
): Promise<void> {
  const letter: DeadLetter = {
    topic,
    partition,
    offset: message.offset,
    key: message.key ? message.key.toString('utf8') : null,
    valueBase64: message.value ? message.value.toString('base64') : '',
    error,
    consumer,
    ts: new Date().toISOString(),
  };
  await producer.sendRaw(dlqTopic(topic), letter.key, JSON.stringify(letter), {
    'x-error': error.slice(0, 1000),
    'x-original-topic': topic,
    'x-original-offset': message.offset,
  });
}
