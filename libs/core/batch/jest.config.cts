module.exports = {
  displayName: 'batch',
  preset: '../../../jest.preset.js',
  coverageDirectory: '../../../coverage/libs/batch',
};
