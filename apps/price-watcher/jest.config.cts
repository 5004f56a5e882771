module.exports = {
  displayName: 'price-watcher',
  preset: '../../jest.preset.js',
  coverageDirectory: '../../coverage/apps/price-watcher',
};
