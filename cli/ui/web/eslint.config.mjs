// ESLint (flat config) for the dashboard's front end, its tests and its page benchmark; run by
// ctest (vigil_ui_web_lint) from the repository root
// (eslint --config cli/ui/web/eslint.config.mjs), so patterns are relative to it.
import js from '@eslint/js';
import globals from 'globals';

export default [
  { ignores: ['**/node_modules/**', 'build*/**'] },
  { ...js.configs.recommended, files: ['cli/ui/web/**/*.{js,mjs}', 'tests/ui/**/*.mjs', 'bench/*.mjs'] },
  {
    files: ['cli/ui/web/*.js', 'cli/ui/web/lib/**/*.js'],
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: 'module',
      globals: { ...globals.browser, uPlot: 'readonly' },
    },
  },
  {
    // Browser globals too: page.evaluate() callbacks run in the page.
    files: ['tests/ui/**/*.mjs', 'bench/*.mjs', 'cli/ui/web/eslint.config.mjs'],
    languageOptions: { ecmaVersion: 2022, sourceType: 'module', globals: { ...globals.node, ...globals.browser } },
  },
  {
    files: ['cli/ui/web/**/*.{js,mjs}', 'tests/ui/**/*.mjs', 'bench/*.mjs'],
    rules: {
      'no-unused-vars': ['error', { argsIgnorePattern: '^_', caughtErrors: 'none' }],
      eqeqeq: ['error', 'always'],
      'no-var': 'error',
      'prefer-const': 'error',
    },
  },
];
