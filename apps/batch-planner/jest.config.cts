module.exports = {
  displayName: 'batch-planner',
  preset: '../../jest.preset.js',
  coverageDirectory: '../../coverage/apps/batch-planner',
};
