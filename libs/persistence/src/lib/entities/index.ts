import { DecisionEntity } from './decision.entity';
import { PendingFeedbackEntity } from './pending-feedback.entity';
import { RewardEntity } from './reward.entity';
import { PolicyStateEntity } from './policy-state.entity';
import { ArmStatsEntity } from './arm-stats.entity';
import { ConsumerOffsetEntity } from './consumer-offset.entity';
import { PriceEntity } from './price.entity';
import { ModelEntity } from './model.entity';
import { SpendEntity } from './spend.entity';

export {
  DecisionEntity,
  PendingFeedbackEntity,
  RewardEntity,
  PolicyStateEntity,
  ArmStatsEntity,
  ConsumerOffsetEntity,
  PriceEntity,
  ModelEntity,
  SpendEntity,
};

export const ENTITIES = [
  DecisionEntity,
  PendingFeedbackEntity,
  RewardEntity,
  PolicyStateEntity,
  ArmStatsEntity,
  ConsumerOffsetEntity,
  PriceEntity,
  ModelEntity,
  SpendEntity,
];
