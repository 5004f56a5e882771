import { InitialSchema1764086400000 } from './1764086400000-initial-schema';
import { PriceCostFactor1764090000000 } from './1764090000000-price-cost-factor';
import { BatchPending1764100000000 } from './1764100000000-batch-pending';
import { BatchBills1764110000000 } from './1764110000000-batch-bills';
import { RouterAnswers1764120000000 } from './1764120000000-router-answers';
import { AccessControl1764130000000 } from './1764130000000-access-control';
import { DecisionContext1764140000000 } from './1764140000000-decision-context';
import { PolicySwitches1764150000000 } from './1764150000000-policy-switches';
import { RetentionIndexes1764160000000 } from './1764160000000-retention-indexes';
import { FeedbackLog1764180000000 } from './1764180000000-feedback-log';
import { StoredPrompts1764190000000 } from './1764190000000-stored-prompts';
import { RewardSequence1764200000000 } from './1764200000000-reward-sequence';
import { GroupedReservations1764210000000 } from './1764210000000-grouped-reservations';
import { RouterAnswersJson1764220000000 } from './1764220000000-router-answers-json';
import { BatchBillBase1764230000000 } from './1764230000000-batch-bill-base';
import { BatchResiduals1764240000000 } from './1764240000000-batch-residuals';
import { BatchBillClosing1764250000000 } from './1764250000000-batch-bill-closing';
import { FeedbackLogRequest1764260000000 } from './1764260000000-feedback-log-request';
import { BatchBillOpening1764270000000 } from './1764270000000-batch-bill-opening';
import { BatchBillPrompt1764280000000 } from './1764280000000-batch-bill-prompt';

/** In order. A new migration is appended here, never edited in place once released. */
export const MIGRATIONS = [
  InitialSchema1764086400000,
  PriceCostFactor1764090000000,
  BatchPending1764100000000,
  BatchBills1764110000000,
  RouterAnswers1764120000000,
  AccessControl1764130000000,
  DecisionContext1764140000000,
  PolicySwitches1764150000000,
  RetentionIndexes1764160000000,
  FeedbackLog1764180000000,
  StoredPrompts1764190000000,
  RewardSequence1764200000000,
  GroupedReservations1764210000000,
  RouterAnswersJson1764220000000,
  BatchBillBase1764230000000,
  BatchResiduals1764240000000,
  BatchBillClosing1764250000000,
  FeedbackLogRequest1764260000000,
  BatchBillOpening1764270000000,
  BatchBillPrompt1764280000000,
];
