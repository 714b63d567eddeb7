/**
 * npm run dev: this package inside a real n8n editor (n8n 2.41.1), with the example workflow.
 *
 *   npm run dev [-- --port 5678] [-- --fresh]
 *
 * Builds and packs the package, installs it into the instance folder .dev/n8n (kept between
 * runs: workflows and executions you make stay; the package, the example workflow and its
 * credential are installed and imported again each time), starts the local image server (or
 * uses OpenAI when OPENAI_API_KEY is set), starts `n8n start`, sets up the owner account, and
 * prints where to log in. Ctrl-C stops everything. --fresh deletes .dev/n8n first.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { startDevEnvironment } from './lib/dev-environment';
import { ROOT } from './lib/example';
import { exitOnSignals, isShuttingDown, shutdown } from './lib/processes';

const USER_FOLDER = join(ROOT, '.dev', 'n8n');

function parseArgs(argv: string[]): { port?: number; fresh: boolean } {
	let port: number | undefined;
	let fresh = false;
	for (let i = 0; i < argv.length; i++) {
		const arg = argv[i];
		if (arg === '--fresh') fresh = true;
		else if (arg === '--port' || arg.startsWith('--port=')) {
			const value = arg.includes('=') ? arg.slice('--port='.length) : argv[++i];
			port = Number(value);
			if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new Error(`--port needs a port number, got '${value}'`);
		} else if (arg === '--help' || arg === '-h') {
			process.stdout.write('usage: npm run dev [-- --port N] [-- --fresh]\n');
			process.exit(0);
		} else throw new Error(`unknown argument '${arg}' (try --help)`);
	}
	return { port, fresh };
}

async function main(): Promise<void> {
	const { port, fresh } = parseArgs(process.argv.slice(2));
	const log = (line: string) => process.stdout.write(`[dev] ${line}\n`);
	exitOnSignals(log);
	if (fresh) {
		rmSync(USER_FOLDER, { recursive: true, force: true });
		log(`removed ${USER_FOLDER}`);
	}
	const dev = await startDevEnvironment({ userFolder: USER_FOLDER, port, log });
	process.stdout.write(
		[
			'',
			`  n8n editor   ${dev.editor.url}`,
			`  login        ${dev.owner.email} / ${dev.owner.password}`,
			`  workflow     ${dev.workflowUrl}`,
			`  images from  ${dev.backend.description}`,
			`  n8n log      ${dev.editor.logFile}`,
			'',
			'  Open the workflow and click "Execute workflow". After changing the node, stop (Ctrl-C) and',
			'  run npm run dev again: it rebuilds and reinstalls the package.',
			'',
			'  Ctrl-C stops n8n and the image server.',
			'',
		].join('\n'),
	);
	const code = await dev.editor.service.exited;
	if (isShuttingDown()) return; // Ctrl-C: exitOnSignals exits when everything has stopped
	log(`n8n exited by itself (code ${code}); stopping`);
	await shutdown();
	process.exit(code === 0 ? 0 : 1);
}

main().catch(async (error) => {
	process.stderr.write(`[dev] ${error instanceof Error ? error.message : String(error)}\n`);
	await shutdown();
	process.exit(1);
});
