/**
 * npm run -s dlq -- list <topic> [filters] [--json]
 * npm run -s dlq -- replay <topic> [filters] [--dry-run]
 *
 * Reads the dead letters of <topic>.dlq; `replay` re-publishes their original bytes and key to
 * <topic> (once the cause is fixed), each source message once even if it was dead-lettered
 * twice; a letter that could not keep its bytes (a record larger than the dead-letter topic
 * takes) is listed, not replayed. Brokers come from --brokers or KAFKA_BROKERS.
 */
import { Command, CommanderError, Option } from 'commander';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { DeadLetter, dlqTopic } from '@llm-router/contracts';
import { PartitionedProducer } from '@llm-router/kafka/partitioned-send';
import { UsageError, num } from '../lib/cli';

interface Filters {
  partition?: number;
  fromOffset?: number;
  toOffset?: number;
  error?: string;
}

interface Letter {
  /** Where the letter itself sits on <topic>.dlq. */
  dlqPartition: number;
  dlqOffset: string;
  letter: DeadLetter;
}

/** Every letter on `<topic>.dlq` up to its current end (a throwaway consumer group, deleted afterwards). */
async function readLetters(kafka: Kafka, topic: string): Promise<Letter[]> {
  const dlq = dlqTopic(topic);
  const admin = kafka.admin();
  await admin.connect();
  try {
    if (!(await admin.listTopics()).includes(dlq)) throw new UsageError(`no dead-letter topic ${dlq}`);
    const ends = new Map((await admin.fetchTopicOffsets(dlq)).map((p) => [p.partition, BigInt(p.high)]));
    const remaining = new Set([...ends].filter(([, high]) => high > 0n).map(([p]) => p));
    const letters: Letter[] = [];
    if (remaining.size === 0) return letters;
    const groupId = `dlq-cli-${process.pid}-${Date.now()}`;
    const consumer = kafka.consumer({ groupId });
    await consumer.connect();
    try {
      await consumer.subscribe({ topics: [dlq], fromBeginning: true });
      await new Promise<void>((done, fail) => {
        consumer
          .run({
            eachMessage: async ({ partition, message }) => {
              if (BigInt(message.offset) >= ends.get(partition)!) return;
              const parsed = DeadLetter.safeParse(parseJson(message.value?.toString('utf8')));
              if (parsed.success)
                letters.push({ dlqPartition: partition, dlqOffset: message.offset, letter: parsed.data });
              if (BigInt(message.offset) + 1n >= ends.get(partition)!) remaining.delete(partition);
              if (remaining.size === 0) done();
            },
          })
          .catch(fail);
      });
    } finally {
      await consumer.disconnect();
      await admin.deleteGroups([groupId]).catch(() => undefined);
    }
    return letters.sort((a, b) => a.dlqPartition - b.dlqPartition || Number(BigInt(a.dlqOffset) - BigInt(b.dlqOffset)));
  } finally {
    await admin.disconnect();
  }
}

function parseJson(text: string | undefined): unknown {
  try {
    return JSON.parse(text ?? 'null');
  } catch {
    return null; // not a letter this tool wrote: skipped
  }
}

function matches(l: DeadLetter, topic: string, f: Filters): boolean {
  const offset = Number(l.offset);
  return (
    l.topic === topic &&
    (f.partition === undefined || l.partition === f.partition) &&
    (f.fromOffset === undefined || offset >= f.fromOffset) &&
    (f.toOffset === undefined || offset <= f.toOffset) &&
    (f.error === undefined || l.error.toLowerCase().includes(f.error.toLowerCase()))
  );
}

const describe = ({ dlqOffset, letter: l }: Letter) =>
  `dlq@${dlqOffset} ${l.topic}[${l.partition}]@${l.offset} key=${l.key ?? '(none)'} consumer=${l.consumer} at=${l.ts} error: ${l.error}` +
  (l.valueOmitted ? ` (bytes not kept: ${l.valueOmitted})` : '');

const sourceId = (l: DeadLetter) => `${l.partition}:${l.offset}`;

function kafkaFrom(brokers: string | undefined): Kafka {
  const list = (brokers ?? process.env['KAFKA_BROKERS'] ?? '')
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean);
  if (list.length === 0) throw new UsageError('no brokers: give --brokers host:port or set KAFKA_BROKERS');
  return new Kafka({ clientId: 'dlq-cli', brokers: list, logLevel: logLevel.NOTHING });
}

function withFilters(c: Command): Command {
  return c
    .argument('<topic>', 'the original topic (its dead letters are on <topic>.dlq)')
    .option('--brokers <list>', 'comma-separated host:port (default: KAFKA_BROKERS)')
    .option(
      '--partition <n>',
      'only letters from this partition of <topic>',
      num('--partition', { integer: true, min: 0 }),
    )
    .option(
      '--from-offset <n>',
      'only letters whose source offset is >= n',
      num('--from-offset', { integer: true, min: 0 }),
    )
    .option(
      '--to-offset <n>',
      'only letters whose source offset is <= n',
      num('--to-offset', { integer: true, min: 0 }),
    )
    .option('--error <text>', 'only letters whose error contains this text (case-insensitive)');
}

type Out = (line: string) => void;

export function program(out: Out = (l) => process.stdout.write(`${l}\n`)): Command {
  const prog = new Command('dlq').description('List and replay dead letters (<topic>.dlq) of llm-router topics');
  withFilters(prog.command('list').description('print the dead letters of <topic>'))
    .addOption(new Option('--json', 'one JSON object per letter, with the original value as text'))
    .action(async (topic: string, o: Filters & { brokers?: string; json?: boolean }) => {
      const letters = (await readLetters(kafkaFrom(o.brokers), topic)).filter((l) => matches(l.letter, topic, o));
      for (const l of letters) {
        if (!o.json) out(describe(l));
        else out(JSON.stringify({ ...l, value: Buffer.from(l.letter.valueBase64, 'base64').toString('utf8') }));
      }
      if (!o.json) out(`${letters.length} dead letter(s) of ${topic}`);
    });
  withFilters(
    prog.command('replay').description('re-publish the original bytes and key of <topic>’s dead letters to <topic>'),
  )
    .option('--dry-run', 'print what would be re-published, publish nothing')
    .action(async (topic: string, o: Filters & { brokers?: string; dryRun?: boolean }) => {
      const kafka = kafkaFrom(o.brokers);
      const selected = (await readLetters(kafka, topic)).filter((l) => matches(l.letter, topic, o));
      // A message dead-lettered twice (a crash between the letter and the stored offset) goes back once.
      const seen = new Set<string>();
      const distinct = selected.filter((l) => !seen.has(sourceId(l.letter)) && seen.add(sourceId(l.letter)));
      // A letter without its bytes (a record larger than the dead-letter topic takes) has nothing to send back.
      const unique = distinct.filter((l) => !l.letter.valueOmitted);
      const withoutBytes = distinct.length - unique.length;
      const verb = o.dryRun ? 'would replay' : 'replayed';
      if (!o.dryRun && unique.length > 0) {
        // Idempotent, with the Java-compatible partitioner the services use: a key goes back to
        // the partition index it came from.
        const producer = kafka.producer({
          idempotent: true,
          maxInFlightRequests: 1,
          createPartitioner: Partitioners.DefaultPartitioner,
        });
        await producer.connect();
        // One request per partition: a kafkajs retry after a leader change can drop records otherwise.
        const sender = new PartitionedProducer(kafka, producer);
        try {
          await sender.send({
            topic,
            acks: -1,
            messages: unique.map((l) => ({
              key: l.letter.key,
              value: Buffer.from(l.letter.valueBase64, 'base64'),
              headers: { 'x-replayed-from': `${dlqTopic(topic)}:${l.dlqPartition}:${l.dlqOffset}` },
            })),
          });
        } finally {
          await sender.close();
          await producer.disconnect();
        }
      }
      for (const l of unique) out(`${verb}: ${describe(l)}`);
      for (const l of distinct) if (l.letter.valueOmitted) out(`not replayed: ${describe(l)}`);
      const skipped = [
        ...(selected.length > distinct.length
          ? [`${selected.length - distinct.length} duplicate letter(s) skipped`]
          : []),
        ...(withoutBytes > 0 ? [`${withoutBytes} letter(s) without their bytes skipped`] : []),
      ];
      out(`${verb} ${unique.length} message(s) to ${topic}` + (skipped.length > 0 ? ` (${skipped.join(', ')})` : ''));
    });
  return prog;
}

async function main(argv: string[]): Promise<number> {
  try {
    await program().exitOverride().parseAsync(argv);
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    process.stderr.write(`dlq: ${(e as Error).message}\n`);
    return e instanceof UsageError ? 2 : 1;
  }
}

if (require.main === module) void main(process.argv).then((code) => (process.exitCode = code));
