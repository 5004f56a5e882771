module.exports = {
  displayName: 'simulation',
  preset: '../../../jest.preset.js',
  coverageDirectory: '../../../coverage/libs/simulation',
};
