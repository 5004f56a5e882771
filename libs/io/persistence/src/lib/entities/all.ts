// Every TypeORM entity of the services, one per module; index.ts derives ENTITIES from this list.
export { DecisionEntity } from './decision.entity';
export { PendingFeedbackEntity } from './pending-feedback.entity';
export { RewardEntity } from './reward.entity';
export { PolicyStateEntity } from './policy-state.entity';
export { ArmStatsEntity } from './arm-stats.entity';
export { ConsumerOffsetEntity } from './consumer-offset.entity';
export { PriceEntity } from './price.entity';
export { ModelEntity } from './model.entity';
export { SpendEntity } from './spend.entity';
export { BatchPendingEntity } from './batch-pending.entity';
export { BatchBillEntity } from './batch-bill.entity';
export { BatchResidualsEntity } from './batch-residuals.entity';
export { RouterAnswerEntity } from './router-answer.entity';
export { PolicySwitchEntity } from './policy-switch.entity';
export { StoredPromptEntity } from './stored-prompt.entity';
