module.exports = {
  displayName: 'replica',
  preset: '../../../jest.preset.js',
  coverageDirectory: '../../../coverage/libs/replica',
};
