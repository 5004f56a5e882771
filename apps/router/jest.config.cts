module.exports = {
  displayName: 'router',
  preset: '../../jest.preset.js',
  coverageDirectory: '../../coverage/apps/router',
};
