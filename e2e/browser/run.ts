/**
 * The browser test on its own: `npx tsx e2e/browser/run.ts [--update-screenshots]`.
 * --update-screenshots writes the screenshots to docs/screenshots (committed) instead of
 * .e2e/browser/screenshots. Exit code 1 when a check failed.
 */
import { exitOnSignals, shutdown } from '../../scripts/lib/processes';
import { chromiumMissing } from './chromium';
import { DOCS_SCREENSHOTS_DIR, runBrowserSuite } from './suite';

async function main(): Promise<number> {
	const args = process.argv.slice(2);
	for (const arg of args) if (arg !== '--update-screenshots') throw new Error(`unknown argument '${arg}'`);
	const log = (line: string) => process.stdout.write(`${line}\n`);
	const missing = chromiumMissing();
	if (missing) {
		log(missing);
		return 1;
	}
	exitOnSignals(log);
	const { failed } = await runBrowserSuite(log, {
		screenshotsDir: args.includes('--update-screenshots') ? DOCS_SCREENSHOTS_DIR : undefined,
	});
	return failed === 0 ? 0 : 1;
}

main()
	.then(async (code) => {
		await shutdown();
		process.exit(code);
	})
	.catch(async (error) => {
		process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
		await shutdown();
		process.exit(1);
	});
