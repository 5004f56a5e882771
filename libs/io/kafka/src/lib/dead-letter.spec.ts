import { DeadLetter, deadLetterMaxBytes, KAFKA_DEFAULT_MAX_MESSAGE_BYTES, Topic } from '@llm-router/contracts';
import { DeadLetterSink, isRecordTooLarge, MAX_DEAD_LETTER_ERROR_CHARS, sendToDeadLetter } from './dead-letter';

/** A dead-letter topic that takes records up to `maxBytes` of value and refuses larger ones as the broker does. */
class FakeDlq implements DeadLetterSink {
  readonly letters: { topic: string; key: string | null; letter: DeadLetter }[] = [];
  sends = 0;
  constructor(
    private readonly maxBytes = Infinity,
    private readonly failWith?: Error,
  ) {}
  async sendAlone(topic: string, key: string | null, value: string): Promise<void> {
    this.sends++;
    if (this.failWith) throw this.failWith;
    if (Buffer.byteLength(value) > this.maxBytes) throw tooLarge();
    this.letters.push({ topic, key, letter: DeadLetter.parse(JSON.parse(value)) });
  }
}

/** What kafkajs throws for a record above the topic's max.message.bytes. */
const tooLarge = () =>
  Object.assign(new Error('The request included a message larger than the max message size the server will accept'), {
    type: 'MESSAGE_TOO_LARGE',
  });

const record = (value: Buffer, key = 'k') => ({ key: Buffer.from(key), value, offset: '42' });

describe('sendToDeadLetter', () => {
  it('parks a record with its bytes, key, source and reason', async () => {
    const dlq = new FakeDlq();
    await sendToDeadLetter(dlq, 'router', Topic.Queries, 3, record(Buffer.from('{not json')), 'bad JSON');
    expect(dlq.letters).toEqual([
      {
        topic: 'llm.queries.dlq',
        key: 'k',
        letter: expect.objectContaining({
          topic: Topic.Queries,
          partition: 3,
          offset: '42',
          key: 'k',
          valueBase64: Buffer.from('{not json').toString('base64'),
          error: 'bad JSON',
          consumer: 'router',
        }),
      },
    ]);
    expect(dlq.letters[0].letter.valueOmitted).toBeUndefined();
  });

  it('keeps the bytes of a record as large as its topic takes', async () => {
    const value = Buffer.alloc(KAFKA_DEFAULT_MAX_MESSAGE_BYTES, 7);
    const dlq = new FakeDlq(deadLetterMaxBytes(Topic.Queries));
    await sendToDeadLetter(dlq, 'router', Topic.Queries, 0, record(value), 'schema');
    expect(Buffer.from(dlq.letters[0].letter.valueBase64, 'base64').equals(value)).toBe(true);
  });

  it('leaves out the bytes of a record larger than the dead-letter topic takes, saying where the record is', async () => {
    const value = Buffer.alloc(deadLetterMaxBytes(Topic.Feedback), 1);
    const dlq = new FakeDlq();
    await sendToDeadLetter(dlq, 'aggregator', Topic.Feedback, 2, record(value), 'schema');
    expect(dlq.sends).toBe(1);
    const { letter } = dlq.letters[0];
    expect(letter).toMatchObject({ valueBase64: '', valueBytes: value.length, offset: '42', partition: 2, key: 'k' });
    expect(letter.valueOmitted).toBe(
      `${value.length} bytes are too large for feedback.rewards.dlq: the record stays at offset 42 of partition 2 of feedback.rewards until its retention ends`,
    );
  });

  it('leaves out the bytes when the broker refuses the letter for its size (a topic made before the limit)', async () => {
    const dlq = new FakeDlq(KAFKA_DEFAULT_MAX_MESSAGE_BYTES);
    const value = Buffer.alloc(900_000, 1);
    await sendToDeadLetter(dlq, 'router', Topic.Queries, 0, record(value), 'schema');
    expect(dlq.sends).toBe(2);
    expect(dlq.letters[0].letter).toMatchObject({ valueBase64: '', valueBytes: 900_000 });
  });

  it('cuts a key longer than a thousand characters from a letter without its bytes, and says so', async () => {
    const key = 'q'.repeat(5000);
    const dlq = new FakeDlq(2 * KAFKA_DEFAULT_MAX_MESSAGE_BYTES);
    await sendToDeadLetter(dlq, 'router', Topic.Queries, 0, record(Buffer.alloc(2_000_000), key), 'schema');
    const { letter } = dlq.letters[0];
    expect(letter.key).toBe(key.slice(0, 1000));
    expect(letter.valueOmitted).toMatch(/its key \(5000 characters\) is cut to 1000$/);
  });

  it('rethrows any other failure, so the consumer tries the record again', async () => {
    const down = Object.assign(new Error('Connection error'), { type: 'NETWORK' });
    const dlq = new FakeDlq(Infinity, down);
    await expect(sendToDeadLetter(dlq, 'router', Topic.Queries, 0, record(Buffer.from('x')), 'e')).rejects.toBe(down);
    expect(dlq.sends).toBe(1);
  });

  it(`keeps the first ${MAX_DEAD_LETTER_ERROR_CHARS} characters of a long error`, async () => {
    const dlq = new FakeDlq();
    await sendToDeadLetter(dlq, 'router', Topic.Queries, 0, record(Buffer.from('x')), 'e'.repeat(50_000));
    expect(dlq.letters[0].letter.error).toBe(`${'e'.repeat(MAX_DEAD_LETTER_ERROR_CHARS)}...`);
  });
});

describe('isRecordTooLarge', () => {
  it('knows the broker refusing a record for its size, also wrapped by kafkajs', () => {
    expect(isRecordTooLarge(tooLarge())).toBe(true);
    expect(isRecordTooLarge(Object.assign(new Error('x'), { type: 'RECORD_LIST_TOO_LARGE' }))).toBe(true);
    expect(isRecordTooLarge(Object.assign(new Error('retries exhausted'), { cause: tooLarge() }))).toBe(true);
    expect(isRecordTooLarge(new Error('Connection error'))).toBe(false);
  });
});
