import js from '@eslint/js'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'test/fixtures/**/node_modules/**', 'coverage/**', '.cache/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly', setTimeout: 'readonly', setImmediate: 'readonly', clearTimeout: 'readonly', SharedArrayBuffer: 'readonly', Atomics: 'readonly', globalThis: 'readonly', __dirname: 'readonly', require: 'readonly', module: 'writable' } },
    rules: {
      '@typescript-eslint/no-unsafe-function-type': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  // The product's code (the core, its worker, the runner integrations): typed lint, strict, with the
  // project service reading tsconfig.json.
  {
    files: ['src/**/*.ts', 'src/**/*.mjs', 'integrations/**/*.ts'],
    extends: [...tseslint.configs.strictTypeChecked],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // Wrappers keep the original's exact type (`Function`): what they wrap is any function.
      '@typescript-eslint/no-unsafe-function-type': 'off',
      // Numbers in messages (`blocked ${ms} ms`) are what messages are made of.
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      // `() => doSomething()` for a callback that returns nothing reads as what it is.
      '@typescript-eslint/no-confusing-void-expression': ['error', { ignoreArrowShorthand: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  // The package-manager smoke projects (scripts/pm-smoke.mjs): what a user writes, CommonJS and
  // runner globals included; never what Yarn or pnpm leave in them.
  { ignores: ['.cache/**', 'test/pm/**/.yarn/**', 'test/pm/**/.pnp.*', 'test/pm/**/node_modules/**'] },
  {
    files: ['test/pm/**'],
    languageOptions: { globals: { test: 'readonly', expect: 'readonly', it: 'readonly', describe: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  // The benchmark's floor harness (bench/lib/floor.cjs): CommonJS, since Jest's sandbox requires it.
  {
    files: ['bench/**/*.cjs'],
    languageOptions: { globals: { setInterval: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
)
