/**
 * The same suite with the clock years ahead (test/helpers/far-future.ts): `npm test` runs it
 * after the plain run, so that no test verdict can depend on today's date.
 */
const base = require('./jest.config.js');

module.exports = {
	...base,
	displayName: 'clock +5 years',
	setupFiles: [...base.setupFiles, '<rootDir>/test/helpers/far-future.ts'],
};
