import { FeedbackSource, Topic } from '@llm-router/contracts';
import { feedbackEvent, keyed } from './ledger-events';
import { StackHandles } from './use-stack';

/**
 * Sends the default scope one feedback message per answer (a response read from the sink):
 * the answer's decision scored `qualityOf(answer)`, from `source`.
 */
export async function sendFeedback<A extends { value: { decisionId: string } }>(
  e2e: StackHandles,
  answers: readonly A[],
  qualityOf: (answer: A) => number,
  source: FeedbackSource = 'user',
): Promise<void> {
  await e2e.producer.send({
    topic: Topic.Feedback,
    messages: answers.map((a) => keyed(feedbackEvent('default', a.value.decisionId, qualityOf(a), { source }))),
  });
}
