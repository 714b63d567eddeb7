// Lint: n8n's community-package rules (package.json), credential and node rules
// (eslint-plugin-n8n-nodes-base), n8n Cloud verification rules
// (@n8n/eslint-plugin-community-nodes), and TypeScript's recommended rules on all code.
import { n8nCommunityNodesPlugin } from '@n8n/eslint-plugin-community-nodes';
import n8nNodesBase from 'eslint-plugin-n8n-nodes-base';
import jsoncParser from 'jsonc-eslint-parser';
import tseslint from 'typescript-eslint';

const legacy = (config) => ({ plugins: { 'n8n-nodes-base': n8nNodesBase }, rules: config.rules });
const nodeCode = ['nodes/**/*.ts', 'credentials/**/*.ts'];

export default [
	{ ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'out/**', '.e2e/**', '.dev/**', '**/*.js', '**/*.mjs'] },
	...tseslint.configs.recommended.map((config) => ({ ...config, files: ['**/*.ts'] })),
	{
		files: ['**/*.ts'],
		languageOptions: { parser: tseslint.parser, parserOptions: { sourceType: 'module' } },
		rules: {
			'@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', caughtErrors: 'none' }],
		},
	},
	{
		files: ['package.json'],
		languageOptions: { parser: jsoncParser },
		...legacy(n8nNodesBase.configs.community),
	},
	{
		...n8nCommunityNodesPlugin.configs.recommended,
		files: ['package.json'],
		languageOptions: { parser: jsoncParser },
	},
	{
		files: ['credentials/**/*.ts'],
		...legacy(n8nNodesBase.configs.credentials),
		rules: {
			...n8nNodesBase.configs.credentials.rules,
			// As in n8n-nodes-starter: camel-cased slugs are for n8n's own repository; community
			// credentials link to the provider's documentation.
			'n8n-nodes-base/cred-class-field-documentation-url-miscased': 'off',
		},
	},
	{
		files: ['nodes/**/*.ts'],
		...legacy(n8nNodesBase.configs.nodes),
		rules: {
			...n8nNodesBase.configs.nodes.rules,
			// These two predate named connections: they demand the literal ['main'] and exactly one
			// output, which contradicts @n8n/community-nodes' node-connection-type-literal and the
			// node's two named outputs (Result, Configuration).
			'n8n-nodes-base/node-class-description-inputs-wrong-regular-node': 'off',
			'n8n-nodes-base/node-class-description-outputs-wrong': 'off',
		},
	},
	{ ...n8nCommunityNodesPlugin.configs.recommended, files: nodeCode },
];
