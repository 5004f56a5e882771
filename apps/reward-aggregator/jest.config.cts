module.exports = {
  displayName: 'reward-aggregator',
  preset: '../../jest.preset.js',
  coverageDirectory: '../../coverage/apps/reward-aggregator',
};
