const CopyPlugin = require('copy-webpack-plugin');
const nodeExternals = require('webpack-node-externals');
const { TsconfigPathsPlugin } = require('tsconfig-paths-webpack-plugin');
const { readFileSync } = require('fs');
const { basename, join } = require('path');

const ROOT = join(__dirname, '../..');

/**
 * The webpack config every Nest app builds with: a node bundle of ./src/main.ts in
 * dist/apps/<app folder name>, our libs inlined (resolved through tsconfig paths), npm packages
 * left as requires and listed in a generated package.json for `npm install --omit=dev`.
 * SWC compiles (it emits the decorator metadata Nest's injection needs); tsc type-checks
 * separately. Plain webpack instead of @nx/webpack: that plugin pulls sass-embedded, whose
 * platform packages npm 11 leaves out of the lock, and then `npm ci` refuses the lock
 * (docs/decisions/0007-plain-webpack-build.md).
 *
 * @param {string} dirname the app's folder (its webpack.config.js passes __dirname)
 * @param {{ assets?: Array<{ from: string, to: string }> }} [options] folders copied next to main.js
 */
function appWebpackConfig(dirname, { assets = [] } = {}) {
  const app = basename(dirname);
  const rootPackage = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  return {
    mode: process.env.NODE_ENV === 'production' ? 'production' : 'development',
    target: 'node',
    context: dirname,
    // The replica's snapshot decoder runs on a worker thread, from its own file next to main.js.
    entry: {
      main: './src/main.ts',
      'snapshot-decoder.worker': join(ROOT, 'libs/io/replica/src/lib/snapshot-decoder.worker.ts'),
    },
    devtool: 'source-map',
    output: {
      path: join(ROOT, 'dist/apps', app),
      filename: '[name].js',
      clean: true,
      devtoolModuleFilenameTemplate: '[absolute-resource-path]',
    },
    optimization: { minimize: false },
    externalsPresets: { node: true },
    externals: [nodeExternals({ modulesDir: join(ROOT, 'node_modules') })],
    resolve: {
      extensions: ['.ts', '.js', '.json'],
      plugins: [new TsconfigPathsPlugin({ configFile: join(ROOT, 'tsconfig.base.json') })],
    },
    module: {
      rules: [
        {
          test: /\.ts$/,
          exclude: /node_modules/,
          use: {
            loader: 'swc-loader',
            options: {
              jsc: {
                parser: { syntax: 'typescript', decorators: true },
                transform: { legacyDecorator: true, decoratorMetadata: true },
                target: 'es2021',
                keepClassNames: true,
              },
              module: { type: 'commonjs' },
              sourceMaps: true,
            },
          },
        },
      ],
    },
    plugins: [
      ...(assets.length ? [new CopyPlugin({ patterns: assets.map((a) => ({ ...a, context: dirname })) })] : []),
      {
        apply(compiler) {
          compiler.hooks.thisCompilation.tap('PackageJson', (compilation) => {
            compilation.hooks.processAssets.tap({ name: 'PackageJson', stage: 0 }, () => {
              const pkg = {
                name: app,
                version: rootPackage.version,
                private: true,
                main: 'main.js',
                dependencies: rootPackage.dependencies,
              };
              compilation.emitAsset(
                'package.json',
                new compiler.webpack.sources.RawSource(JSON.stringify(pkg, null, 2)),
              );
            });
          });
        },
      },
    ],
  };
}

module.exports = { appWebpackConfig };
