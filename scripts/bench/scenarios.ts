/**
 * The benchmark's scenarios. Each runs in a fresh process (scripts/bench/worker.ts) that drives
 * the BUILT node through n8n-core's engine (test/helpers/engine.ts) against the image server
 * running in yet another process (scripts/bench/server.ts): what this process measures is the
 * node, n8n's engine and n8n's HTTP client, never the server.
 */
import http from 'node:http';
import { Session, type Profiler } from 'node:inspector/promises';

import type { IDataObject, INodeExecutionData } from 'n8n-workflow';

import { binaryBuffer, chain, FIXTURE_TYPES, loadPackageNodeTypes, runWorkflow, type RunResult } from '../../test/helpers/engine';
import { createImageNode, NODE, type CreateImageSettings } from '../../test/workflow';
import { startChildServer, type ChildServer, type ServedRequest } from './server';

const GENERATION = '/v1/images/generations';

/** The node under test: this repository's dist/, or another build (bench.ts --package DIR, for A/B runs). */
export const nodeTypes = loadPackageNodeTypes(process.env.BENCH_PACKAGE_DIR ? { packageDir: process.env.BENCH_PACKAGE_DIR } : {});

interface NodeRun {
	run: RunResult;
	result: INodeExecutionData[];
	errors: INodeExecutionData[];
	ms: number;
}

/** [Prepare (emits `count` prompts) -> Create Image] through n8n's engine. */
async function runNode(
	server: ChildServer,
	count: number,
	settings: CreateImageSettings,
	tag = 'bench',
	binaryDataMode: 'default' | 'filesystem' = 'default',
): Promise<NodeRun> {
	const rows = Array.from({ length: count }, (_, i) => ({ json: { prompt: `${tag} image ${i}: a lighthouse at dawn` } }));
	const started = performance.now();
	const run = await runWorkflow({
		nodes: [
			{ name: 'Prepare', type: FIXTURE_TYPES.emitItems, parameters: { items: JSON.stringify(rows) } },
			createImageNode({ onError: 'continueErrorOutput', ...settings }),
		],
		connections: chain('Prepare', NODE),
		startNode: 'Prepare',
		credentials: { openAiImagesApi: { apiKey: server.apiKey, baseUrl: server.baseUrl, organizationId: '', projectId: '' } },
		binaryDataMode,
		nodeTypes,
	});
	const ms = performance.now() - started;
	if (!run.executedNodes.includes(NODE)) throw new Error(`the node did not run: ${run.status} ${run.error?.message ?? ''}`);
	const [result = [], , errors = []] = run.outputs(NODE);
	return { run, result, errors, ms };
}

const generations = (log: ServedRequest[]) => log.filter((r) => r.method === 'POST' && r.path === GENERATION);
const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// ------------------------------------------------------------------ 1. parallel throughput

export interface ThroughputParams {
	items: number;
	latencyMs: number;
	concurrency: number;
}

export async function throughput(p: ThroughputParams): Promise<IDataObject> {
	const server = await startChildServer({ latencyMs: p.latencyMs });
	try {
		await runNode(server, 4, { options: { concurrency: 4 } }, 'warm-up');
		await server.reset();
		const parallel = await runNode(server, p.items, { options: { concurrency: p.concurrency } });
		const parallelServed = generations((await server.log()).log);
		const maxInFlight = peakOverlap(parallelServed);
		await server.reset();
		const serial = await runNode(server, p.items, { options: { concurrency: 1 } });
		return {
			items: p.items,
			latencyMs: p.latencyMs,
			concurrency: p.concurrency,
			idealMs: Math.ceil(p.items / p.concurrency) * p.latencyMs,
			parallelMs: parallel.ms,
			serialMs: serial.ms,
			parallelOk: parallel.result.length,
			serialOk: serial.result.length,
			maxInFlight,
		};
	} finally {
		await server.close();
	}
}

/** Most requests the server was answering at once. */
function peakOverlap(log: ServedRequest[]): number {
	const events = log.flatMap((r) => [
		[r.start, 1],
		[r.end, -1],
	]);
	events.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
	let current = 0;
	let peak = 0;
	for (const [, delta] of events) peak = Math.max(peak, (current += delta));
	return peak;
}

// ------------------------------------------------------------------ 2. rate limit + 5xx

export interface RateLimitParams {
	items: number;
	latencyMs: number;
	concurrency: number;
	rateLimitPerMinute: number;
	errorRate: number;
	seed: number;
	maxRetries: number;
}

export async function rateLimit(p: RateLimitParams): Promise<IDataObject> {
	const server = await startChildServer({
		latencyMs: p.latencyMs,
		rateLimitPerMinute: p.rateLimitPerMinute,
		errorRate: p.errorRate,
		seed: p.seed,
	});
	try {
		const run = await runNode(server, p.items, { options: { concurrency: p.concurrency, maxRetries: p.maxRetries } });
		const log = generations((await server.log()).log).sort((a, b) => a.start - b.start);
		const admitted = log.filter((r) => r.status !== 429);
		const t0 = log[0]?.start ?? 0;
		// Steady state: from the first request until fewer than `concurrency` items are left
		// unfinished (after that the node has too little work left to fill the limit).
		const successEnds = log.filter((r) => r.status === 200).map((r) => r.end).sort((a, b) => a - b);
		const drainIndex = p.items - p.concurrency; // the success after which < concurrency items remain
		const drain = successEnds[Math.min(Math.max(drainIndex, 0), successEnds.length - 1)] ?? t0;
		// Achieved rate: admitted requests in each 60 s window [t, t + 60 s) lying inside the steady
		// state, t in 1 s steps, averaged. The provider's sliding window caps every such window at the
		// limit, so a client that keeps the limit saturated scores 100 %.
		const counts: number[] = [];
		for (let t = t0; t + 60_000 <= drain; t += 1000) {
			counts.push(admitted.filter((r) => r.start >= t && r.start < t + 60_000).length);
		}
		const byStatus: Record<string, number> = {};
		for (const r of log) byStatus[r.status] = (byStatus[r.status] ?? 0) + 1;
		return {
			items: p.items,
			limit: p.rateLimitPerMinute,
			wallMs: run.ms,
			requests: log.length,
			admitted: admitted.length,
			byStatus,
			retries: log.length - p.items,
			ok: run.result.length,
			lost: p.items - run.result.length,
			errorMessages: [...new Set(run.errors.map((e) => String(e.json.error)))].slice(0, 3),
			steadyMs: drain - t0,
			windows: counts.length,
			achievedPerMinute: counts.length ? sum(counts) / counts.length : null,
			minWindow: counts.length ? Math.min(...counts) : null,
			admittedFirstMinute: admitted.filter((r) => r.start < t0 + 60_000).length,
			timeline: admitted.map((r) => Math.round((r.start - t0) / 100) / 10),
			rejectedTimeline: log.filter((r) => r.status === 429).map((r) => Math.round((r.start - t0) / 100) / 10),
		};
	} finally {
		await server.close();
	}
}

// ------------------------------------------------------------------ 3. per-item overhead

export interface OverheadParams {
	items: number;
	largeItems: number;
}

/** POST one generation directly (no n8n): the raw JSON text of the answer. */
async function fetchBody(server: ChildServer, body: IDataObject): Promise<string> {
	return await new Promise((resolve, reject) => {
		const req = http.request(
			`${server.baseUrl}/images/generations`,
			{ method: 'POST', headers: { authorization: `Bearer ${server.apiKey}`, 'content-type': 'application/json' } },
			(res) => {
				const chunks: Buffer[] = [];
				res.on('data', (c: Buffer) => chunks.push(c));
				res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
				res.on('error', reject);
			},
		);
		req.on('error', reject);
		req.end(JSON.stringify(body));
	});
}

/** CPU ms of one call of `fn` (median of 7 batches; CPU time, so that other processes on the machine do not count). */
function cpuMsPerCall(fn: () => unknown, bytes: number): number {
	const per = Math.max(5, Math.min(2000, Math.round(2e8 / Math.max(bytes, 1))));
	const batches: number[] = [];
	for (let batch = 0; batch < 7; batch++) {
		const start = process.cpuUsage();
		for (let i = 0; i < per; i++) fn();
		const used = process.cpuUsage(start);
		batches.push((used.user + used.system) / 1000 / per);
	}
	return batches.sort((a, b) => a - b)[3];
}

export async function overhead(p: OverheadParams): Promise<IDataObject> {
	const cases: Array<{ name: string; imageMode: 'solid' | 'noise'; items: number; settings: CreateImageSettings; body: IDataObject }> = [
		{
			name: 'url',
			imageMode: 'solid',
			items: p.items,
			settings: { model: 'dall-e-2', options: { responseFormat: 'url', concurrency: 1 } },
			body: { model: 'dall-e-2', prompt: 'x', response_format: 'url' },
		},
		{
			name: 'b64',
			imageMode: 'solid',
			items: p.items,
			settings: { model: 'gpt-image-2', options: { concurrency: 1 } },
			body: { model: 'gpt-image-2', prompt: 'x' },
		},
		{
			name: 'b64-noise',
			imageMode: 'noise',
			items: p.largeItems,
			settings: { model: 'gpt-image-2', options: { concurrency: 1 } },
			body: { model: 'gpt-image-2', prompt: 'x' },
		},
	];
	const out: IDataObject = {};
	for (const c of cases) {
		const server = await startChildServer({ latencyMs: 0, imageMode: c.imageMode });
		try {
			// Warm-up: JIT, sockets, the server's image cache.
			await runNode(server, Math.max(10, Math.round(c.items / 3)), c.settings, 'warm-up');
			const answer = await fetchBody(server, c.body);
			// Per item = the difference between a run of N items and a run of 2N items, over N: what
			// each further item costs, without the per-execution cost of the engine (~0.1 s).
			const measure = async (count: number) => {
				await server.reset();
				const cpu0 = process.cpuUsage();
				const run = await runNode(server, count, c.settings);
				const cpu = process.cpuUsage(cpu0);
				const { log } = await server.log();
				return { run, cpuMs: (cpu.user + cpu.system) / 1000, serverMs: sum(log.map((r) => r.ms)), requests: log.length };
			};
			// Three pairs, median of each figure: the machine may be shared.
			const pairs: Array<{ cpu: number; wall: number; server: number; requests: number; ok: boolean }> = [];
			for (let rep = 0; rep < 3; rep++) {
				const one = await measure(c.items);
				const two = await measure(2 * c.items);
				pairs.push({
					cpu: (two.cpuMs - one.cpuMs) / c.items,
					wall: (two.run.ms - one.run.ms) / c.items,
					server: (one.serverMs + two.serverMs) / (3 * c.items),
					requests: (one.requests + two.requests) / (3 * c.items),
					ok: one.run.result.length === c.items && two.run.result.length === 2 * c.items,
				});
			}
			const median = (pick: (x: (typeof pairs)[number]) => number) => pairs.map(pick).sort((a, b) => a - b)[1];
			const cpuMsPerItem = median((x) => x.cpu);
			// A profiled run: where the process's time goes (CPU profile, 250 µs samples).
			const profile = await profiled(async () => await runNode(server, c.items, c.settings, 'profiled'));
			const parsed = JSON.parse(answer) as { data: Array<{ b64_json?: string; url?: string }> };
			const b64 = parsed.data[0].b64_json;
			const imageBytes = b64 ? Buffer.byteLength(b64, 'base64') : await downloadSize(parsed.data[0].url!);
			out[c.name] = {
				items: c.items,
				ok: pairs.every((x) => x.ok) ? c.items : 0,
				wallMsPerItem: median((x) => x.wall),
				cpuMsPerItem,
				cpuRuns: pairs.map((x) => x.cpu),
				serverMsPerItem: median((x) => x.server),
				requestsPerItem: median((x) => x.requests),
				answerBytes: Buffer.byteLength(answer),
				imageBytes,
				decodeMs: b64 ? cpuMsPerCall(() => Buffer.from(b64, 'base64'), b64.length) : 0,
				jsonParseMs: cpuMsPerCall(() => JSON.parse(answer), answer.length),
				// The profile's split, scaled to the measured CPU time (samples are wall-clock spaced).
				split: Object.fromEntries(
					(['node', 'http', 'engine', 'gc', 'other'] as const).map((k) => [k, (profile.totals[k] / profile.busy) * cpuMsPerItem]),
				),
				topFrames: profile.topFrames,
			};
		} finally {
			await server.close();
		}
	}
	return out;
}

type Category = 'node' | 'http' | 'engine' | 'gc' | 'other' | 'idle';

interface ProfileSummary {
	/** Sampled ms by category. */
	totals: Record<Category, number>;
	/** All but idle. */
	busy: number;
	/** Heaviest functions by self time: 'ms category function file:line'. */
	topFrames: string[];
}

/** Milliseconds of samples by category while `fn` runs (see categorize). */
async function profiled(fn: () => Promise<unknown>): Promise<ProfileSummary> {
	const session = new Session();
	session.connect();
	await session.post('Profiler.enable');
	await session.post('Profiler.setSamplingInterval', { interval: 250 });
	await session.post('Profiler.start');
	await fn();
	const { profile } = await session.post('Profiler.stop');
	session.disconnect();
	return categorize(profile);
}

const HTTP_STACK = /node_modules\/(axios|follow-redirects|@n8n\/backend-network|proxy-from-env|form-data)\/|^node:(_?http|net|stream|internal\/stream|internal\/http|events|buffer|internal\/buffer|internal\/streams)/;

/**
 * Each sample goes to: 'node' when a frame of the built node (dist/) is on its stack (the node's
 * code and what it calls synchronously: parameters, base64 decode, prepareBinaryData); else by the
 * innermost frame that has a script: 'http' (n8n's HTTP helper: axios, follow-redirects,
 * @n8n/backend-network, node:http/net/streams: sockets, body collection, JSON.parse of the answer),
 * 'engine' (n8n-core, n8n-workflow, expressions, luxon, the harness), 'gc', 'idle' or 'other'.
 */
function categorize(profile: Profiler.Profile): ProfileSummary {
	const byId = new Map(profile.nodes.map((n) => [n.id, n]));
	const parent = new Map<number, number>();
	for (const n of profile.nodes) for (const child of n.children ?? []) parent.set(child, n.id);
	const cache = new Map<number, Category>();
	const categoryOf = (id: number): Category => {
		const cached = cache.get(id);
		if (cached) return cached;
		const leaf = byId.get(id)!.callFrame;
		let category: Category | undefined;
		if (leaf.functionName === '(garbage collector)') category = 'gc';
		else if (leaf.functionName === '(idle)') category = 'idle';
		let innermost: string | undefined;
		for (let cur: number | undefined = id; cur !== undefined && !category; cur = parent.get(cur)) {
			const url = byId.get(cur)!.callFrame.url;
			if (url === 'node:inspector') category = 'idle'; // the profiler itself (Profiler.stop)
			else if (/\/dist\/(nodes|credentials)\//.test(url)) category = 'node';
			else if (url && innermost === undefined) innermost = url;
		}
		category ??= !innermost
			? 'other'
			: HTTP_STACK.test(innermost)
				? 'http'
				: /node_modules\/|\/test\/helpers\/|^node:/.test(innermost)
					? 'engine'
					: 'other';
		cache.set(id, category);
		return category;
	};
	const totals: Record<Category, number> = { node: 0, http: 0, engine: 0, gc: 0, other: 0, idle: 0 };
	const frames = new Map<string, number>();
	const samples = profile.samples ?? [];
	const deltas = profile.timeDeltas ?? [];
	for (let i = 0; i < samples.length; i++) {
		const ms = (deltas[i] ?? 0) / 1000;
		const category = categoryOf(samples[i]);
		totals[category] += ms;
		const { functionName, url, lineNumber } = byId.get(samples[i])!.callFrame;
		const key = `${category} ${functionName || '(anonymous)'} ${url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/dist\//, 'dist/')}:${lineNumber + 1}`;
		frames.set(key, (frames.get(key) ?? 0) + ms);
	}
	const busy = totals.node + totals.http + totals.engine + totals.gc + totals.other;
	return {
		totals,
		busy,
		topFrames: [...frames].sort((a, b) => b[1] - a[1]).slice(0, 25).map(([k, v]) => `${v.toFixed(1)} ms ${k}`),
	};
}

async function downloadSize(url: string): Promise<number> {
	return await new Promise((resolve, reject) => {
		http.get(url, (res) => {
			let size = 0;
			res.on('data', (c: Buffer) => (size += c.length));
			res.on('end', () => resolve(size));
			res.on('error', reject);
		}).on('error', reject);
	});
}

// ------------------------------------------------------------------ 4. memory

export interface MemoryParams {
	images: number;
	concurrency: number;
	/** Default 'default' (in memory); 'filesystem' only to tell the output's share from the transient one. */
	binaryDataMode?: 'default' | 'filesystem';
}

export const MB = 1024 * 1024;

export function gcNow(): void {
	const gc = (globalThis as { gc?: () => void }).gc;
	if (!gc) throw new Error('run the memory scenario with node --expose-gc');
	gc();
	gc();
}

/** What memorySampler saw, in bytes. */
export interface MemoryPeak {
	/** The highest RSS: sampled, or the kernel's high-water mark when that rose meanwhile. */
	peakRss: number;
	sampledPeakRss: number;
	peakHeapExt: number;
	/** MB over the baseline held at the sample with the highest RSS. */
	atPeak: { heapUsed: number; arrayBuffers: number; otherExternal: number };
}

/**
 * Samples process.memoryUsage() every 5 ms from now until stop(), against `base` (taken after a
 * warm-up and full GCs): the peaks, and what was held at the highest RSS.
 */
export function memorySampler(base: NodeJS.MemoryUsage): { stop(): MemoryPeak } {
	const maxRssBefore = process.resourceUsage().maxRSS * 1024;
	let peakRss = base.rss;
	let peakHeapExt = base.heapUsed + base.external;
	let atPeak = { heapUsed: 0, arrayBuffers: 0, otherExternal: 0 };
	const sample = () => {
		const m = process.memoryUsage();
		if (m.rss > peakRss) {
			atPeak = {
				heapUsed: (m.heapUsed - base.heapUsed) / MB,
				arrayBuffers: (m.arrayBuffers - base.arrayBuffers) / MB,
				otherExternal: (m.external - m.arrayBuffers - (base.external - base.arrayBuffers)) / MB,
			};
		}
		peakRss = Math.max(peakRss, m.rss);
		peakHeapExt = Math.max(peakHeapExt, m.heapUsed + m.external);
	};
	const timer = setInterval(sample, 5);
	return {
		stop: () => {
			clearInterval(timer);
			sample();
			const sampledPeakRss = peakRss;
			// The kernel's high-water mark catches spikes between samples (if above what came before).
			const maxRss = process.resourceUsage().maxRSS * 1024;
			return { peakRss: maxRss > maxRssBefore ? Math.max(peakRss, maxRss) : peakRss, sampledPeakRss, peakHeapExt, atPeak };
		},
	};
}

export async function memory(p: MemoryParams): Promise<IDataObject> {
	const server = await startChildServer({ latencyMs: 0, imageMode: 'noise' });
	try {
		// Warm-up: load and JIT every code path with a few big images, then let them go.
		let warm: NodeRun | undefined = await runNode(server, 4, { options: { concurrency: 2 } }, 'warm-up', p.binaryDataMode);
		warm = undefined;
		void warm;
		await server.reset();
		gcNow();
		await sleep(300);
		gcNow();
		const base = process.memoryUsage();
		const baseHeapExt = base.heapUsed + base.external;
		const sampler = memorySampler(base);
		const run = await runNode(server, p.images, { options: { concurrency: p.concurrency } }, 'bench', p.binaryDataMode);
		const { peakRss, peakHeapExt, sampledPeakRss, atPeak } = sampler.stop();

		// What the output itself holds (items still referenced), after a full GC.
		gcNow();
		const retained = process.memoryUsage();
		let imageBytes = 0;
		let storedChars = 0;
		for (const item of run.result) {
			if (p.binaryDataMode !== 'filesystem') storedChars += item.binary?.data?.data.length ?? 0;
			imageBytes += (await binaryBuffer(item, 'data')).length;
		}
		const answerBytes = (await fetchBody(server, { model: 'gpt-image-2', prompt: 'x' })).length;
		return {
			images: p.images,
			concurrency: p.concurrency,
			ok: run.result.length,
			imageMB: imageBytes / MB,
			storedMB: storedChars / MB,
			answerMBPerImage: answerBytes / MB,
			baseRssMB: base.rss / MB,
			baseHeapExtMB: baseHeapExt / MB,
			peakRssMB: peakRss / MB,
			peakHeapExtMB: peakHeapExt / MB,
			sampledPeakRssMB: sampledPeakRss / MB,
			atPeak,
			retainedRssMB: retained.rss / MB,
			retainedHeapExtMB: (retained.heapUsed + retained.external) / MB,
			wallMs: run.ms,
		};
	} finally {
		await server.close();
	}
}
