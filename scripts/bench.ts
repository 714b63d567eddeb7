/**
 * npm run bench: the Create Image node's benchmark (issue 3). Not part of `npm test`.
 *
 *   npm run build && npx tsx scripts/bench.ts [--quick] [--only 1,2,3,4] [flags]
 *
 * Drives the BUILT node (dist/) through n8n-core's engine (test/helpers/engine.ts) against the
 * project's image server (test/server). Every scenario runs in a fresh process, and the image
 * server in a child process of its own, so that the figures are the node's (and n8n's), not the
 * server's. Prints the machine, then one markdown table: each figure with its target and PASS/MISS.
 * Ratios are against baselines measured in the same run.
 *
 * Flags (defaults in brackets; --quick shrinks the counts so that the whole run takes < 1 min):
 *   --items N [100]  --latency MS [500]  --concurrency C [10]      scenario 1 (and 2's C)
 *   --rate-items N [120]  --rate-latency MS [500]  --rate-limit PER_MIN [60]  --error-rate F [0.2]  --seed N [1]
 *   --max-retries N [10]                                             scenario 2 (~2 min)
 *   --overhead-items N [300]  --large-items N [40]                   scenario 3
 *   --images N [50]  --memory-concurrency C [10]  --memory-runs N [3] scenario 4 (median of N processes)
 *   --batch-images N [300]  --batch-double 0|1 [1]                   scenario 5 (N lines of 1.5 MB; 1: also 2N)
 *   --only LIST   run only these scenarios (e.g. --only 1,4)
 *   --package DIR measure another build of the node, for A/B runs (a directory with package.json and dist/
 *                 whose node_modules resolve to this repository's, e.g. through a symlink)
 *   --json FILE   also write the raw figures as JSON
 */
import { fork } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';

import type { BatchReadParams } from './bench/batch';
import type { MemoryParams, OverheadParams, RateLimitParams, ThroughputParams } from './bench/scenarios';

type Figures = Record<string, unknown>;

interface Options {
	quick: boolean;
	only: Set<number>;
	json?: string;
	packageDir?: string;
	throughput: ThroughputParams;
	rate: RateLimitParams;
	overhead: OverheadParams;
	memory: MemoryParams;
	memoryRuns: number;
	batch: Pick<BatchReadParams, 'images'>;
	batchDouble: boolean;
}

function parseOptions(argv: string[]): Options {
	const flags = new Map<string, string>();
	let quick = false;
	for (let i = 0; i < argv.length; i++) {
		const arg = argv[i];
		if (arg === '--quick') quick = true;
		else if (arg === '--help' || arg === '-h') {
			process.stdout.write(
				'usage: npx tsx scripts/bench.ts [--quick] [--only 1,2,3,4] [--json FILE]\n' +
					'  [--items N] [--latency MS] [--concurrency C] [--rate-items N] [--rate-latency MS] [--rate-limit PER_MIN]\n' +
					'  [--error-rate F] [--seed N] [--max-retries N] [--overhead-items N] [--large-items N]\n' +
					'  [--images N] [--memory-concurrency C] [--memory-runs N] [--batch-images N] [--batch-double 0|1] [--package DIR]\n',
			);
			process.exit(0);
		} else if (arg.startsWith('--')) {
			const eq = arg.indexOf('=');
			const name = eq > 0 ? arg.slice(2, eq) : arg.slice(2);
			const value = eq > 0 ? arg.slice(eq + 1) : argv[++i];
			if (value === undefined) throw new Error(`missing value for --${name}`);
			flags.set(name, value);
		} else throw new Error(`unexpected argument '${arg}'`);
	}
	const known = [
		'items', 'latency', 'concurrency', 'rate-items', 'rate-latency', 'rate-limit', 'error-rate', 'seed', 'max-retries',
		'overhead-items', 'large-items', 'images', 'memory-concurrency', 'memory-runs', 'batch-images', 'batch-double', 'only', 'json', 'package',
	];
	for (const name of flags.keys()) if (!known.includes(name)) throw new Error(`unknown flag --${name}`);
	const num = (name: string, normal: number, short: number): number => {
		const raw = flags.get(name);
		if (raw === undefined) return quick ? short : normal;
		const value = Number(raw);
		if (!Number.isFinite(value) || value < 0) throw new Error(`--${name} needs a number, got '${raw}'`);
		return value;
	};
	const latencyMs = num('latency', 500, 500);
	const concurrency = num('concurrency', 10, 10);
	return {
		quick,
		only: new Set((flags.get('only') ?? '1,2,3,4,5').split(',').map(Number)),
		json: flags.get('json'),
		packageDir: flags.get('package') && resolve(flags.get('package')!),
		throughput: { items: num('items', 100, 20), latencyMs, concurrency },
		rate: {
			items: num('rate-items', 120, 30),
			latencyMs: num('rate-latency', 500, 500),
			concurrency,
			rateLimitPerMinute: num('rate-limit', 60, 60),
			errorRate: num('error-rate', 0.2, 0.2),
			seed: num('seed', 1, 1),
			maxRetries: num('max-retries', 10, 10),
		},
		overhead: { items: num('overhead-items', 300, 100), largeItems: num('large-items', 40, 10) },
		memory: { images: num('images', 50, 20), concurrency: num('memory-concurrency', 10, 10) },
		memoryRuns: Math.max(1, num('memory-runs', 3, 1)),
		batch: { images: Math.max(1, num('batch-images', 300, 30)) },
		batchDouble: num('batch-double', 1, 1) !== 0,
	};
}

/** Runs one scenario in a fresh process (scripts/bench/worker.ts) and returns its figures. */
async function runScenario(name: string, params: object, nodeFlags: string[] = [], packageDir?: string): Promise<Figures> {
	const userFolder = mkdtempSync(join(os.tmpdir(), 'n8n-create-image-bench-'));
	try {
		return await new Promise<Figures>((resolve, reject) => {
			let result: Figures | undefined;
			const child = fork(join(__dirname, 'bench', 'worker.ts'), [name, JSON.stringify(params)], {
				execArgv: ['--import', 'tsx', ...nodeFlags],
				env: {
					...process.env,
					NODE_OPTIONS: '',
					N8N_USER_FOLDER: userFolder,
					N8N_LOG_LEVEL: 'silent',
					BENCH_PACKAGE_DIR: packageDir ?? '',
				},
				stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
			});
			child.on('message', (msg: { type: string; result: Figures }) => {
				if (msg.type === 'result') result = msg.result;
			});
			child.on('error', reject);
			child.on('exit', (code) => (result ? resolve(result) : reject(new Error(`scenario ${name} failed (exit ${code})`))));
		});
	} finally {
		rmSync(userFolder, { recursive: true, force: true });
	}
}

// ------------------------------------------------------------------ formatting

interface Row {
	scenario: string;
	figure: string;
	measured: string;
	target: string;
	result: 'PASS' | 'MISS' | 'n/a' | 'info';
}

const f1 = (n: number) => n.toFixed(1);
const f2 = (n: number) => n.toFixed(2);
const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const verdict = (ok: boolean): Row['result'] => (ok ? 'PASS' : 'MISS');

function table(rows: Row[]): string {
	const head = ['Scenario', 'Figure', 'Measured', 'Target', 'Result'];
	const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
	for (const r of rows) lines.push(`| ${[r.scenario, r.figure, r.measured, r.target, r.result].join(' | ')} |`);
	return lines.join('\n');
}

function machine(loadAtStart: number[]): string {
	const cpus = os.cpus();
	return [
		`Machine: ${cpus[0]?.model.trim() ?? 'unknown CPU'}, ${os.availableParallelism()} cores (${cpus.length} CPUs), ` +
			`${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM, ${os.type()} ${os.release()} ${os.arch()}`,
		`Node ${process.version}; n8n-core ${version('n8n-core')}; ${new Date().toISOString()}; ` +
			`load average (1 min) ${loadAtStart[0].toFixed(2)} at start, ${os.loadavg()[0].toFixed(2)} at end`,
	].join('\n');
}

function version(pkg: string): string {
	try {
		return (JSON.parse(readFileSync(join(__dirname, '..', 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }).version;
	} catch {
		return '?';
	}
}

// ------------------------------------------------------------------ main

/** The newest modification time under `dir` of files whose name matches `pattern`. */
function newest(dir: string, pattern: RegExp): number {
	let latest = 0;
	for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
		if (entry.isFile() && pattern.test(entry.name)) latest = Math.max(latest, statSync(join(entry.parentPath ?? entry.path, entry.name)).mtimeMs);
	}
	return latest;
}

async function main(): Promise<void> {
	const opts = parseOptions(process.argv.slice(2));
	if (!opts.packageDir) {
		const root = join(__dirname, '..');
		if (!existsSync(join(root, 'dist', 'nodes'))) throw new Error('dist/ is missing: run npm run build first (the engine loads the built node)');
		if (newest(join(root, 'nodes'), /\.(ts|json)$/) > newest(join(root, 'dist', 'nodes'), /\.js$/)) {
			process.stderr.write('bench: warning: nodes/ has changes newer than dist/; run npm run build to measure them\n');
		}
	}
	const started = Date.now();
	const loadAtStart = os.loadavg();
	const rows: Row[] = [];
	const notes: string[] = [];
	const raw: Record<string, Figures> = {};
	const progress = (msg: string) => process.stderr.write(`[bench ${f1((Date.now() - started) / 1000)} s] ${msg}\n`);

	if (opts.only.has(1)) {
		const p = opts.throughput;
		progress(`1. throughput: ${p.items} items, ${p.latencyMs} ms, concurrency ${p.concurrency} then 1 (~${s(p.items * p.latencyMs)})`);
		const r = (raw.throughput = await runScenario('throughput', p, [], opts.packageDir)) as {
			idealMs: number; parallelMs: number; serialMs: number; parallelOk: number; serialOk: number; maxInFlight: number;
		};
		const name = `1. N=${p.items}, ${p.latencyMs} ms, C=${p.concurrency}`;
		const vsIdeal = r.parallelMs / r.idealMs;
		const speedup = r.serialMs / r.parallelMs;
		const complete = r.parallelOk === p.items && r.serialOk === p.items;
		rows.push({
			scenario: name,
			figure: `wall time vs ideal ceil(N/C)×latency = ${s(r.idealMs)}`,
			measured: `${s(r.parallelMs)} = ${f2(vsIdeal)}×`,
			target: '≤ 1.10×',
			result: verdict(vsIdeal <= 1.1 && complete),
		});
		rows.push({
			scenario: name,
			figure: `speed-up vs concurrency 1 (${s(r.serialMs)}, same run)`,
			measured: `${f1(speedup)}×`,
			target: '≥ 9×',
			result: verdict(speedup >= 9 && complete),
		});
		notes.push(
			`1: the workflow's wall time in n8n's engine (Prepare -> Create Image), server latency ${p.latencyMs} ms per request; ` +
				`server saw at most ${r.maxInFlight} requests at once; images ${r.parallelOk}/${p.items} (C=${p.concurrency}), ${r.serialOk}/${p.items} (C=1).`,
		);
	}

	if (opts.only.has(2)) {
		const p = opts.rate;
		progress(`2. rate limit: ${p.items} items, ${p.latencyMs} ms, ${p.rateLimitPerMinute}/min, ${p.errorRate * 100} % 5xx (seed ${p.seed})${opts.quick ? '' : ' (~2 min)'}`);
		const r = (raw.rateLimit = await runScenario('rateLimit', p, [], opts.packageDir)) as {
			wallMs: number; requests: number; admitted: number; byStatus: Record<string, number>; retries: number; lost: number;
			steadyMs: number; windows: number; achievedPerMinute: number | null; minWindow: number | null; errorMessages: string[];
		};
		const name = `2. ${p.rateLimitPerMinute} req/min + ${p.errorRate * 100} % 5xx, N=${p.items}, ${p.latencyMs} ms, C=${p.concurrency}`;
		const achieved = r.achievedPerMinute;
		rows.push({
			scenario: name,
			figure: 'achieved rate: admitted requests/min in the steady state',
			measured:
				achieved === null
					? `n/a (steady state ${s(r.steadyMs)} < one 60 s window)`
					: `${f1(achieved)}/min = ${f1((100 * achieved) / p.rateLimitPerMinute)} %`,
			target: `≥ 90 % of ${p.rateLimitPerMinute}/min`,
			result: achieved === null ? 'n/a' : verdict(achieved >= 0.9 * p.rateLimitPerMinute),
		});
		const statuses = Object.entries(r.byStatus).map(([status, count]) => `${count}×${status}`).join(', ');
		rows.push({
			scenario: name,
			figure: 'retries made (requests beyond one per item)',
			measured: `${r.retries} (requests: ${statuses})`,
			target: '—',
			result: 'info',
		});
		rows.push({
			scenario: name,
			figure: `items lost (maxRetries ${p.maxRetries})`,
			measured: `${r.lost} of ${p.items}`,
			target: '0',
			result: verdict(r.lost === 0),
		});
		notes.push(
			`2: achieved rate = requests the provider admitted (answered anything but 429; 5xx answers count, they used the quota) ` +
				`in each 60 s window [t, t+60 s) inside the steady state, t in 1 s steps, averaged (${r.windows} windows; lowest ${r.minWindow ?? '-'}). ` +
				`The server's own sliding window caps every such window at the limit, so a client that keeps the quota in use all the time scores 100 %. ` +
				`Steady state: from the first request until fewer than C items were left unfinished (${s(r.steadyMs)}); run ${s(r.wallMs)}.` +
				(r.errorMessages.length ? ` Errors: ${r.errorMessages.join('; ')}` : ''),
		);
	}

	if (opts.only.has(3)) {
		const p = opts.overhead;
		progress(`3. per-item overhead at latency 0: ${p.items} items (url, b64), ${p.largeItems} items (b64 1.5 MB)`);
		type Case = {
			items: number; ok: number; wallMsPerItem: number; cpuMsPerItem: number; serverMsPerItem: number; requestsPerItem: number;
			answerBytes: number; imageBytes: number; decodeMs: number; jsonParseMs: number; split: Record<string, number>; cpuRuns: number[];
		};
		const r = (raw.overhead = await runScenario('overhead', p, [], opts.packageDir)) as Record<'url' | 'b64' | 'b64-noise', Case>;
		const labels = {
			url: 'url answers (dall-e-2)',
			b64: `b64_json (gpt-image-2, ${f1(r.b64.imageBytes / 1024)} KB image)`,
			'b64-noise': `b64_json (gpt-image-2, ${f2(r['b64-noise'].imageBytes / 1e6)} MB image)`,
		};
		for (const key of ['url', 'b64', 'b64-noise'] as const) {
			const c = r[key];
			const budget = 2 + c.decodeMs;
			const pr = c.split;
			rows.push({
				scenario: `3. latency 0, C=1: ${labels[key]}`,
				figure: `CPU ms per item in n8n's process (node ${f2(pr.node)}, HTTP ${f2(pr.http)}, engine ${f2(pr.engine)}, GC ${f2(pr.gc)})`,
				measured: `${f2(c.cpuMsPerItem)} ms (wall ${f2(c.wallMsPerItem)} − server ${f2(c.serverMsPerItem)} = ${f2(c.wallMsPerItem - c.serverMsPerItem)} ms)`,
				target: `≤ 2 ms + decode ${f2(c.decodeMs)} = ${f2(budget)} ms`,
				result: verdict(c.cpuMsPerItem <= budget && c.ok === c.items),
			});
		}
		notes.push(
			`3: per item = (run of 2N items − run of N items) / N, so the engine's per-execution cost (~0.1 s) is left out; N = ${p.items} (${p.largeItems} for 1.5 MB), ` +
				`after a warm-up; median of 3 such pairs (CPU of each: ${(['url', 'b64', 'b64-noise'] as const).map((k) => r[k].cpuRuns.map(f2).join('/')).join('; ')} ms). CPU = process.cpuUsage() of the n8n process (all its threads, GC included); the server runs in another process, so its CPU is not in it. ` +
				`"wall − server": wall time per item at concurrency 1 minus the server's own time per request (request in -> answer written, measured in the server ` +
				`process; url mode: the API call and the download). Split = shares of a CPU profile of another run, applied to the CPU figure: node = samples with ` +
				`the node's code on the stack (reading parameters, decode, prepareBinaryData); HTTP = n8n's HTTP helper (axios, follow-redirects, ` +
				`@n8n/backend-network, node:http/net: a new Agent and TCP connection for every request, body collection, JSON.parse of the answer); engine = ` +
				`n8n-core/n8n-workflow without the node on the stack (credentials per request, the engine, the harness). Decode = CPU time of Buffer.from(b64, 'base64') of ` +
				`the same payload alone; CPU time of JSON.parse of the same answer alone: ${f2(r.b64.jsonParseMs)} ms (21 KB), ${f2(r['b64-noise'].jsonParseMs)} ms ` +
				`(${f2(r['b64-noise'].answerBytes / 1e6)} MB).`,
		);
	}

	if (opts.only.has(4)) {
		const p = opts.memory;
		type Memory = {
			ok: number; imageMB: number; storedMB: number; answerMBPerImage: number; baseRssMB: number; baseHeapExtMB: number;
			peakRssMB: number; peakHeapExtMB: number; retainedHeapExtMB: number; wallMs: number;
			atPeak: { heapUsed: number; arrayBuffers: number; otherExternal: number };
		};
		const runs: Memory[] = [];
		for (let i = 0; i < opts.memoryRuns; i++) {
			progress(`4. memory: ${p.images} images of ~1.5 MB, concurrency ${p.concurrency}, binary mode default (process ${i + 1}/${opts.memoryRuns})`);
			runs.push((await runScenario('memory', p, ['--expose-gc'], opts.packageDir)) as Memory);
		}
		raw.memory = { runs };
		const perMBOf = (r: Memory) => (r.peakRssMB - r.baseRssMB) / r.imageMB;
		const sorted = [...runs].sort((a, b) => perMBOf(a) - perMBOf(b));
		const r = sorted[Math.floor((sorted.length - 1) / 2)]; // the median run
		const perMB = perMBOf(r);
		const range = runs.length > 1 ? ` (runs: ${runs.map((x) => f2(perMBOf(x))).join(', ')})` : '';
		const name = `4. ${p.images} × ${f2(r.imageMB / p.images)} MB images, C=${p.concurrency}, binary mode default`;
		rows.push({
			scenario: name,
			figure: `peak RSS over baseline (${f1(r.baseRssMB)} MB) per MB of images (${f1(r.imageMB)} MB)`,
			measured: `${f1(r.peakRssMB - r.baseRssMB)} MB → ${f2(perMB)} MB/MB${range}`,
			target: '≤ 2 MB/MB',
			result: verdict(perMB <= 2 && runs.every((x) => x.ok === p.images)),
		});
		const at = r.atPeak;
		rows.push({
			scenario: name,
			figure: 'at the peak: output text (external strings) / Buffers (ArrayBuffers) / V8 heap, over baseline',
			measured: `${f1(at.otherExternal)} / ${f1(at.arrayBuffers)} / ${f1(at.heapUsed)} MB`,
			target: '—',
			result: 'info',
		});
		notes.push(
			`4: MB = 2^20 bytes; median of ${runs.length} fresh process(es). Server in a child process. RSS (what the OS must provide; what an out-of-memory kill looks at), ` +
				`baseline after a warm-up run with the same images and two full GCs (--expose-gc); peak = max of process.memoryUsage().rss sampled every 5 ms and ` +
				`the kernel's high-water mark (resourceUsage().maxRSS). The output alone holds ${f1(r.storedMB)} MB: in default mode n8n keeps each image ` +
				`as base64 text in the item (${f2(r.storedMB / r.imageMB)} MB per MB; large strings made by Buffer.toString are "external" in Node); ` +
				`"Buffers" = ArrayBuffers alive or not yet collected (answer bodies, decoded images); each answer is ${f2(r.answerMBPerImage)} MB of JSON. ` +
				`After a full GC the process still holds ${f2((r.retainedHeapExtMB - r.baseHeapExtMB) / r.imageMB)} MB/MB (heap+external): the output. Run ${s(r.wallMs)}.`,
		);
	}

	if (opts.only.has(5)) {
		type Timing = { ms: number; cpuMs: number; gcMs: number; majorGcs: number };
		type BatchRead = {
			images: number; rounds: number; ok: number; inFilesystem: boolean; imageBytes: number; fileMB: number; generateMs: number;
			node: Timing; unstored?: Timing; unstoredOk: number; readline?: Timing; readlineLines: number; transfer?: Timing; reader?: Timing;
			readerImages: number; times: Record<string, Timing[]>;
			baseRssMB: number; peakRssMB: number; baseHeapExtMB: number; peakHeapExtMB: number; retainedHeapExtMB: number;
			atPeak: { heapUsed: number; arrayBuffers: number; otherExternal: number };
		};
		const sizes = opts.batchDouble ? [opts.batch.images, 2 * opts.batch.images] : [opts.batch.images];
		const runs: BatchRead[] = [];
		for (const [i, images] of sizes.entries()) {
			progress(`5. batch output file: ${images} lines of ~1.5 MB (~${Math.round(images * 2)} MB of JSONL), filesystem binary mode`);
			// Speeds with the file (3 rounds of each baseline); memory alone with the file twice its size.
			const params: BatchReadParams = { images, rounds: i === 0 ? 3 : 0 };
			runs.push((await runScenario('batchRead', params, ['--expose-gc'], opts.packageDir)) as BatchRead);
		}
		raw.batchRead = { runs };
		/** MB of JSONL per second of wall time, and per second of CPU time (this process). */
		const speed = (r: BatchRead, t: Timing) => `${f1(r.fileMB / (t.ms / 1000))} MB/s (${f1(r.fileMB / (t.cpuMs / 1000))} MB per CPU s)`;
		/** Where the time went: wall, CPU, GC pauses. */
		const spent = (t: Timing) => `${s(t.ms)} wall, ${s(t.cpuMs)} CPU, GC ${s(t.gcMs)} (${t.majorGcs} major)`;
		/** How many times faster than readline: wall, CPU. */
		const versus = (base: Timing, t: Timing) => `${f2(base.ms / t.ms)}× / ${f2(base.cpuMs / t.cpuMs)}×`;
		for (const r of runs) {
			const name = `5. batch output file: ${r.images} × ${f2(r.imageBytes / 2 ** 20)} MB images, ${f1(r.fileMB)} MB JSONL, filesystem binary mode`;
			const growth = r.peakRssMB - r.baseRssMB;
			const complete = r.ok === r.images && r.inFilesystem && (r.rounds === 0 || (r.unstoredOk === r.images && r.readerImages === r.images && r.readlineLines === r.images));
			rows.push({
				scenario: name,
				figure: `peak RSS over baseline (${f1(r.baseRssMB)} MB) while the node path reads the file`,
				measured: `${f1(growth)} MB (heap+external: peak ${f1(r.peakHeapExtMB - r.baseHeapExtMB)} MB, after a full GC ${f1(r.retainedHeapExtMB - r.baseHeapExtMB)} MB)`,
				target: '< 150 MB',
				result: verdict(growth < 150 && complete),
			});
			const { readline, reader, transfer, unstored } = r;
			if (!readline || !reader || !transfer || !unstored) {
				rows.push({ scenario: name, figure: "read speed, node path (n8n's helper, reader, images stored)", measured: `${speed(r, r.node)}: ${spent(r.node)}`, target: '—', result: 'info' });
				continue;
			}
			rows.push({
				scenario: name,
				figure: `read speed, node path (n8n's helper, reader, images stored) vs node:readline over the same file, ${speed(r, readline)}: times as fast, wall / CPU`,
				measured: `${speed(r, r.node)} = ${versus(readline, r.node)} (${spent(r.node)}); images not stored: ${speed(r, unstored)} = ${versus(readline, unstored)} (${spent(unstored)})`,
				target: '—',
				result: 'info',
			});
			rows.push({
				scenario: name,
				figure: `read speed, reader alone (images decoded, not stored) vs readline, wall / CPU; the bytes alone: ${speed(r, transfer)}`,
				measured: `${speed(r, reader)} = ${versus(readline, reader)} (${spent(reader)}; readline ${spent(readline)})`,
				target: '—',
				result: 'info',
			});
		}
		if (runs.length === 2) {
			const [one, two] = runs.map((r) => r.peakRssMB - r.baseRssMB);
			rows.push({
				scenario: `5. batch output file: ${runs[1].images} vs ${runs[0].images} images`,
				figure: 'peak RSS growth, twice the file vs the file',
				measured: `${f1(two)} vs ${f1(one)} MB`,
				target: '< 150 MB both',
				result: verdict(one < 150 && two < 150),
			});
		}
		const times = runs
			.filter((r) => r.rounds > 0)
			.map((r) => Object.entries(r.times).map(([k, v]) => `${k} ${v.map((t) => `${f2(t.ms / 1000)}/${f2(t.cpuMs / 1000)}`).join(', ')}`).join('; '))
			.join('');
		const at = runs.map((r) => `${f1(r.atPeak.heapUsed)} / ${f1(r.atPeak.arrayBuffers)} / ${f1(r.atPeak.otherExternal)}`).join('; ');
		notes.push(
			`5: the output file (one 1024x1024 noise PNG per line, custom_ids shuffled) is written once per process to a temp folder (${runs.map((r) => s(r.generateMs)).join(', ')}) ` +
				`and served over loopback by a child process as GET /v1/files/{id}/content. Node path = a bench node in n8n's engine: n8n's HTTP helper (encoding: 'stream'), ` +
				`the built reader (dist/nodes/shared/batch/outputFile.js), then the node's own imagesFromAnswer and imageItems (prepareBinaryData), n8n's binary data mode ` +
				`"filesystem" (images written to disk, ids in the items): the reading part of Create Image's batch mode, not the batch's upload, creation and polling. ` +
				`Baseline after a warm-up of 8 lines and two full GCs (--expose-gc); peak RSS as in 4 (5 ms samples and the kernel's high-water mark); "after a full GC": ` +
				`what the process still holds, output items (binary ids, metadata) included. At the peak, V8 heap / ArrayBuffers / other external over baseline: ${at} MB. ` +
				`Speeds: MB (2^20 bytes) of JSONL per second of wall time, and per second of this process's CPU time (all threads, GC included; the file server's ` +
				`CPU is not in it; CPU figures hold better on a loaded machine). The node path's from the run measured for memory; "images not stored": the node path ` +
				`again without imageItems. readline = node:readline over a node:http GET (each line as a string, nothing parsed); reader alone = readBatchOutput ` +
				`over a node:http GET, images decoded, not stored; bytes alone = the GET's chunks counted; medians of 3 interleaved reads, after the node path ` +
				`(s wall/CPU: ${times}).`,
		);
	}

	const out = [
		machine(loadAtStart),
		...(opts.packageDir ? [`Node under test: ${opts.packageDir}`] : []),
		'',
		table(rows),
		'',
		'Notes:',
		...notes.map((n) => `- ${n}`),
		'',
		`Total ${s(Date.now() - started)}${opts.quick ? ' (--quick)' : ''}.`,
	].join('\n');
	process.stdout.write(`${out}\n`);
	if (opts.json) writeFileSync(opts.json, JSON.stringify({ machine: machine(loadAtStart), options: opts, results: raw }, (k, v) => (v instanceof Set ? [...v] : v), 2));
}

main().catch((error) => {
	process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
	process.exit(1);
});
