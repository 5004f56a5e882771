module.exports = {
  displayName: 'pacing',
  preset: '../../../jest.preset.js',
  coverageDirectory: '../../../coverage/libs/pacing',
};
