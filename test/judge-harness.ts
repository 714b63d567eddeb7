/**
 * The outside judge in every jest test (jest.config.js setupFilesAfterEnv): after each test, the
 * schema violations the image servers of this test file recorded (test/server/judge.ts: a request
 * that breaks OpenAI's published schemas) fail that test, naming the schema and the findings. A
 * test that sends off-schema requests on purpose takes them itself (server.takeSchemaViolations()).
 * IMAGE_SERVER_VIOLATIONS_LOG=<file> also appends each one to that file as a JSON line.
 */
import { appendFileSync } from 'node:fs';

import { liveImageServers } from './server';

/** Takes the violations of every live image server; returns the Error that fails the test, or undefined when there were none. */
export function takeViolationsError(testName?: string): Error | undefined {
	const found = [...liveImageServers()].flatMap((server) => server.takeSchemaViolations());
	if (!found.length) return undefined;
	const log = process.env.IMAGE_SERVER_VIOLATIONS_LOG;
	if (log) for (const v of found) appendFileSync(log, `${JSON.stringify({ test: testName, ...v })}\n`);
	const lines = found.map((v) => `  ${v.method} ${v.path} (${v.schema}${v.customId ? `, batch line ${v.customId}` : ''}): ${v.errors.join('; ')}`);
	return new Error(`The image server received ${found.length} request(s) that break OpenAI's published schema:\n${lines.join('\n')}`);
}

if (typeof afterEach === 'function') {
	afterEach(() => {
		const error = takeViolationsError(expect.getState().currentTestName);
		if (error) throw error;
	});
}
