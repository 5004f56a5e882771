import { z } from 'zod';
import { Topic, TopicName } from './topics';
import { QueryRequest } from './messages/query-request';
import { RoutedResponse } from './messages/routed-response';
import { DecisionEvent } from './messages/decision';
import { FeedbackEvent } from './messages/feedback';
import { PriceEvent } from './messages/price-event';
import { ModelEvent } from './messages/model-event';
import { PolicySnapshot } from './messages/policy-snapshot';
import { ParetoFrontierEvent } from './messages/pareto-frontier';
import { RewardEvent } from './messages/reward-event';
import { BatchAssignmentEvent } from './messages/batch-assignment';
import { DEFAULT_SCOPE } from './messages/common';

/** Which schema a topic carries, and how its record key is derived from a message. */
export const TOPIC_SCHEMAS = {
  [Topic.Queries]: { schema: QueryRequest, key: (m: QueryRequest) => m.id },
  [Topic.Responses]: { schema: RoutedResponse, key: (m: RoutedResponse) => m.id },
  [Topic.Decisions]: { schema: DecisionEvent, key: (m: DecisionEvent) => m.scope },
  [Topic.Feedback]: { schema: FeedbackEvent, key: (m: FeedbackEvent) => m.scope ?? DEFAULT_SCOPE },
  [Topic.Prices]: { schema: PriceEvent, key: (m: PriceEvent) => m.model },
  [Topic.Catalog]: { schema: ModelEvent, key: (m: ModelEvent) => m.model },
  [Topic.PolicyUpdates]: { schema: PolicySnapshot, key: (m: PolicySnapshot) => m.scope },
  [Topic.ParetoFrontier]: { schema: ParetoFrontierEvent, key: (m: ParetoFrontierEvent) => m.scope },
  [Topic.RewardStream]: { schema: RewardEvent, key: (m: RewardEvent) => m.scope },
  [Topic.BatchRequests]: { schema: QueryRequest, key: (m: QueryRequest) => m.id },
  [Topic.BatchAssignments]: { schema: BatchAssignmentEvent, key: (m: BatchAssignmentEvent) => m.batchId },
} as const;

type Registry = typeof TOPIC_SCHEMAS;
/** The message type a topic carries. */
export type MessageOf<T extends TopicName> = z.infer<Registry[T]['schema']>;
/** What a producer may pass (defaults not yet applied). */
export type MessageInputOf<T extends TopicName> = z.input<Registry[T]['schema']>;
