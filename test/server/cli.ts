/**
 * Run the image test server from the command line:
 *
 *   npx tsx test/server/cli.ts --port 8787 --latency 500 --error-rate 0.2 --rate-limit 60 \
 *     --image-mode noise --flavor openai --api-key sk-... [--seed 1] [--file-latency 0]
 *     [--batch-clock manual|N] [--batch-seed N] [--batch-step-per-poll MS] [--batch-line-ms MS]
 *
 * Batches: --batch-clock 100 runs the Files/Batch clock 100 times faster than real time (a
 * 200-line batch in ~1 s of real time with the default 0.5 s per line); --batch-step-per-poll
 * 3600000 moves it one hour per GET /v1/batches/{id}; --batch-line-ms sets the clock time per line.
 *
 * Prints one line and serves until SIGINT/SIGTERM.
 */
import { startImageServer, type Flavor, type ImageMode, type ImageServerOptions } from './index';

function usage(msg?: string): never {
	if (msg) process.stderr.write(`${msg}\n`);
	process.stderr.write(
		'usage: tsx test/server/cli.ts [--port N] [--latency MS] [--error-rate 0..1] [--seed N] [--rate-limit PER_MIN]\n' +
			'                              [--image-mode solid|noise] [--flavor openai|localai|vllm] [--api-key KEY] [--file-latency MS]\n' +
			'                              [--batch-clock manual|N] [--batch-seed N] [--batch-step-per-poll MS] [--batch-line-ms MS]\n',
	);
	process.exit(msg ? 2 : 0);
}

export function parseArgs(argv: string[]): ImageServerOptions {
	const opts: ImageServerOptions = {};
	for (let i = 0; i < argv.length; i++) {
		const arg = argv[i];
		if (arg === '--help' || arg === '-h') usage();
		const eq = arg.indexOf('=');
		const name = eq > 0 ? arg.slice(0, eq) : arg;
		const value = eq > 0 ? arg.slice(eq + 1) : argv[++i];
		if (value === undefined) usage(`missing value for ${name}`);
		const num = () => {
			const n = Number(value);
			if (!Number.isFinite(n)) usage(`${name} needs a number, got '${value}'`);
			return n;
		};
		switch (name) {
			case '--port':
				opts.port = num();
				break;
			case '--latency':
				opts.latencyMs = num();
				break;
			case '--error-rate':
				opts.errorRate = num();
				break;
			case '--seed':
				opts.seed = num();
				break;
			case '--rate-limit':
				opts.rateLimitPerMinute = num();
				break;
			case '--file-latency':
				opts.fileLatencyMs = num();
				break;
			case '--image-mode':
				if (value !== 'solid' && value !== 'noise') usage(`--image-mode must be solid or noise`);
				opts.imageMode = value as ImageMode;
				break;
			case '--flavor':
				if (!['openai', 'localai', 'vllm'].includes(value)) usage('--flavor must be openai, localai or vllm');
				opts.flavor = value as Flavor;
				break;
			case '--api-key':
				opts.apiKey = value;
				break;
			case '--batch-clock':
				opts.batchClock = value === 'manual' ? 'manual' : num();
				break;
			case '--batch-seed':
				opts.batchSeed = num();
				break;
			case '--batch-step-per-poll':
				opts.batchStepPerPoll = num();
				break;
			case '--batch-line-ms':
				opts.batchTiming = { ...opts.batchTiming, perLineMs: num() };
				break;
			default:
				usage(`unknown option ${name}`);
		}
	}
	return opts;
}

async function main(): Promise<void> {
	const server = await startImageServer(parseArgs(process.argv.slice(2)));
	process.stdout.write(`image server listening on ${server.url} (base URL ${server.baseUrl}, api key ${server.apiKey})\n`);
	let stopping = false;
	const stop = () => {
		if (stopping) return;
		stopping = true;
		void server.close().then(() => process.exit(0));
	};
	process.on('SIGINT', stop);
	process.on('SIGTERM', stop);
}

if (require.main === module) {
	main().catch((e) => {
		process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
		process.exit(1);
	});
}
