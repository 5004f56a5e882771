module.exports = {
  displayName: 'bandits',
  preset: '../../../jest.preset.js',
  coverageDirectory: '../../../coverage/libs/bandits',
};
