/**
 * npm run demo: the example workflows (examples/create-images.workflow.json, then
 * examples/create-then-edit.workflow.json: Create Image -> Edit Image) run by a real n8n
 * (2.41.1, `n8n execute`, no editor) with this package installed; the images of each
 * example's Result output (Create Image's, then Edit Image's) are written to ./out/ and listed.
 *
 *   npm run demo [-- --out DIR]
 *
 * Images come from the project's local image server, or from OpenAI when OPENAI_API_KEY is set
 * (three low-quality gpt-image-2 images, then two made and two edited). The first run on a machine installs n8n (minutes).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, relative, resolve } from 'node:path';
import sharp from 'sharp';
import { nodeOutput, type N8nInstance, type N8nItem } from '../e2e/lib/n8n';
import { startImageBackend } from './lib/backend';
import { EXAMPLES, ROOT, type Example } from './lib/example';
import { buildAndPack, ensureN8nHost, prepareInstance, seconds } from './lib/instance';
import { exitOnSignals, onShutdown, shutdown } from './lib/processes';

const log = (line: string) => process.stdout.write(`[demo] ${line}\n`);

function parseArgs(argv: string[]): { outDir: string } {
	let outDir = join(ROOT, 'out');
	for (let i = 0; i < argv.length; i++) {
		const arg = argv[i];
		if (arg === '--out' || arg.startsWith('--out=')) {
			const value = arg.includes('=') ? arg.slice('--out='.length) : argv[++i];
			if (!value) throw new Error('--out needs a folder');
			outDir = resolve(value);
		} else if (arg === '--help' || arg === '-h') {
			process.stdout.write('usage: npm run demo [-- --out DIR]\n');
			process.exit(0);
		} else throw new Error(`unknown argument '${arg}' (try --help)`);
	}
	return { outDir };
}

interface Made {
	file: string;
	pixels: string;
	bytes: number;
	prompt: string;
	model: string;
	requestId: string;
}

async function main(): Promise<void> {
	const { outDir } = parseArgs(process.argv.slice(2));
	exitOnSignals(log);
	const started = Date.now();
	const userFolder = mkdtempSync(join(tmpdir(), 'n8n-create-image-demo-'));
	onShutdown(() => rmSync(userFolder, { recursive: true, force: true }));
	const backend = await startImageBackend();
	onShutdown(() => backend.close());
	log(`images come from ${backend.description}`);

	const [host, tgz] = await Promise.all([ensureN8nHost(log), buildAndPack(join(userFolder, 'package'), log)]);
	const { instance, workflowIds } = await prepareInstance({ host, userFolder, tgz, backend, log });

	mkdirSync(outDir, { recursive: true });
	const made: Made[] = [];
	for (const [index, example] of EXAMPLES.entries()) {
		made.push(...(await runExample(instance, example, workflowIds[index], host.n8nVersion, outDir)));
	}

	process.stdout.write(`\n${table(made)}\n\n`);
	log(`${made.length} image${made.length === 1 ? '' : 's'} in ${relative(process.cwd(), outDir) || '.'}/ (${seconds(started)} in all)`);
}

/** Runs one example with `n8n execute` and writes the images of its result node's Result output. */
async function runExample(instance: N8nInstance, example: Example, workflowId: string, n8nVersion: string, outDir: string): Promise<Made[]> {
	log(`running ${relative(ROOT, example.file)} with n8n ${n8nVersion} (n8n execute)`);
	const runStarted = Date.now();
	const result = await instance.execute(workflowId, 15 * 60_000);
	if (!result.run) {
		throw new Error(`n8n execute printed no run data (exit ${result.exitCode}):\n${result.stdout.slice(-3000)}\n${result.stderr.slice(-3000)}`);
	}
	const error = result.run.data.resultData.error;
	if (result.exitCode !== 0 || error) {
		throw new Error(`the workflow failed in ${result.run.data.resultData.lastNodeExecuted ?? '?'}: ${error?.message ?? `exit ${result.exitCode}`}`);
	}
	log(`workflow ran in ${seconds(runStarted)}`);
	const made: Made[] = [];
	for (const item of nodeOutput(result.run, example.resultNode, 0)) made.push(...(await writeImages(instance, item, outDir)));
	if (made.length === 0) throw new Error(`${example.resultNode} put out no images`);
	return made;
}

async function writeImages(instance: N8nInstance, item: N8nItem, outDir: string): Promise<Made[]> {
	const made: Made[] = [];
	for (const binary of Object.values(item.binary ?? {})) {
		const bytes = instance.readBinary(binary);
		// The node names its files; basename() keeps a name from leaving the folder all the same.
		const file = basename(binary.fileName || `image.${binary.fileExtension ?? 'bin'}`);
		writeFileSync(join(outDir, file), bytes);
		const { width, height } = await sharp(bytes).metadata();
		made.push({
			file,
			pixels: width && height ? `${width}x${height}` : '?',
			bytes: bytes.length,
			prompt: String(item.json.prompt ?? ''),
			model: String(item.json.model ?? ''),
			requestId: String(item.json.requestId ?? ''),
		});
	}
	return made;
}

function table(rows: Made[]): string {
	const shorten = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);
	const header = ['file', 'pixels', 'bytes', 'prompt', 'model', 'request id'];
	const cells = rows.map((row) => [
		row.file,
		row.pixels,
		row.bytes.toLocaleString('en-US'),
		shorten(row.prompt, 48),
		row.model,
		row.requestId || '-',
	]);
	const widths = header.map((title, column) => Math.max(title.length, ...cells.map((cell) => cell[column].length)));
	const line = (values: string[]) =>
		values.map((value, column) => (column === 2 ? value.padStart(widths[column]) : value.padEnd(widths[column]))).join('  ');
	return [line(header), widths.map((width) => '-'.repeat(width)).join('  '), ...cells.map(line)]
		.map((text) => text.trimEnd())
		.join('\n');
}

main()
	.then(() => shutdown())
	.catch(async (error) => {
		process.stderr.write(`[demo] ${error instanceof Error ? error.message : String(error)}\n`);
		await shutdown();
		process.exit(1);
	});
