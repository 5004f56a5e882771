const { appWebpackConfig } = require('../../tools/webpack/app-webpack');

module.exports = appWebpackConfig(__dirname, {
  // The dashboard's page and script are read at runtime from dashboard/public next to main.js.
  assets: [{ from: 'src/dashboard/public', to: 'dashboard/public' }],
});
