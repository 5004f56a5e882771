const { appWebpackConfig } = require('../../tools/webpack/app-webpack');

module.exports = appWebpackConfig(__dirname, {
  // The dashboard's page and script are read at runtime from dashboard/public next to main.js.
  assets: ['./src/assets', { input: './src/dashboard/public', glob: '**/*', output: 'dashboard/public' }],
});
