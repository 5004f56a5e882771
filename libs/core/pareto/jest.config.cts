module.exports = {
  displayName: 'pareto',
  preset: '../../../jest.preset.js',
  coverageDirectory: '../../../coverage/libs/pareto',
};
