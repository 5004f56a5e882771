module.exports = {
  displayName: 'service',
  preset: '../../../jest.preset.js',
  coverageDirectory: '../../../coverage/libs/service',
};
