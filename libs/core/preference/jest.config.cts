module.exports = {
  displayName: 'preference',
  preset: '../../../jest.preset.js',
  coverageDirectory: '../../../coverage/libs/preference',
};
