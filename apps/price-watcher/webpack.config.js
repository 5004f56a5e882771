const { appWebpackConfig } = require('../../tools/webpack/app-webpack');

module.exports = appWebpackConfig(__dirname);
