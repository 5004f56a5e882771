module.exports = {
  displayName: 'pricing',
  preset: '../../../jest.preset.js',
  coverageDirectory: '../../../coverage/libs/pricing',
};
