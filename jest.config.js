/** Tests run the compiled node (dist/) inside n8n's engine; test code itself is TypeScript. */
module.exports = {
	testEnvironment: 'node',
	roots: ['<rootDir>/test'],
	testMatch: ['**/*.test.ts'],
	transform: {
		'^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.test.json' }],
	},
	setupFiles: ['<rootDir>/test/setup-env.ts'],
	// The outside judge: a request that breaks OpenAI's published schemas fails the test that sent it.
	setupFilesAfterEnv: ['<rootDir>/test/judge-harness.ts'],
	testTimeout: 60000,
	maxWorkers: 2,
};
