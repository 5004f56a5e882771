export * from './window-estimates';
export * from './estimated-mix';
export * from './dual-price';
export * from './cost-calibration';
export * from './dispatch-check';
export * from './window-planner';
export * from './recent-residuals';
export * from './exploration-round';
