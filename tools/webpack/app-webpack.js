const { NxAppWebpackPlugin } = require('@nx/webpack/app-plugin');
const { basename, join } = require('path');

/**
 * The webpack config every Nest app builds with: a node bundle of ./src/main.ts in
 * dist/apps/<app folder name>. Paths in the plugin options are relative to the app's folder.
 *
 * @param {string} dirname the app's folder (its webpack.config.js passes __dirname)
 * @param {{ assets?: unknown[] }} [options] assets copied next to main.js (default: ./src/assets)
 */
function appWebpackConfig(dirname, { assets = ['./src/assets'] } = {}) {
  return {
    output: {
      path: join(__dirname, '../../dist/apps', basename(dirname)),
      clean: true,
      ...(process.env.NODE_ENV !== 'production' && {
        devtoolModuleFilenameTemplate: '[absolute-resource-path]',
      }),
    },
    plugins: [
      new NxAppWebpackPlugin({
        target: 'node',
        compiler: 'tsc',
        main: './src/main.ts',
        tsConfig: './tsconfig.app.json',
        assets,
        optimization: false,
        outputHashing: 'none',
        generatePackageJson: true,
        sourceMap: true,
      }),
    ],
  };
}

module.exports = { appWebpackConfig };
