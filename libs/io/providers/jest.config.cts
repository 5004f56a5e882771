module.exports = {
  displayName: 'providers',
  preset: '../../../jest.preset.js',
  coverageDirectory: '../../../coverage/libs/providers',
};
