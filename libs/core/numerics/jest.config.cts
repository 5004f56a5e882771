module.exports = {
  displayName: 'numerics',
  preset: '../../../jest.preset.js',
  coverageDirectory: '../../../coverage/libs/numerics',
};
