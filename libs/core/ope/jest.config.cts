module.exports = {
  displayName: 'ope',
  preset: '../../../jest.preset.js',
  coverageDirectory: '../../../coverage/libs/ope',
};
