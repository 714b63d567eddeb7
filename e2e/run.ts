/**
 * End-to-end suite: `npx tsx e2e/run.ts [n8n-2] [n8n-1]` (`npm run test:e2e`).
 *
 * Installs the hosts if needed (cached; see lib/hosts.ts) while it builds and packs this
 * package, then on each host in parallel: installs the package into a fresh n8n instance the
 * way n8n's community-package installer does, runs the example workflow and the fixtures in
 * e2e/fixtures/ with `n8n execute` against the project's image server, and checks the run
 * data (suite/create-image.ts). Then the browser suite (e2e/browser/suite.ts), if present.
 *
 * Ends with the line `N passed, M failed`; exits 1 when anything failed.
 * E2E_PARALLEL: n8n processes at once over all hosts (default: the number of cores, at least 2).
 * E2E_KEEP_INSTANCES=1: keep the instances' folders for a look afterwards.
 * E2E_SUITES=agent: only the suites named (create-image, agent, browser; default all).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromiumMissing } from './browser/chromium';
import { ensureHost, HOST_NAMES, type HostInfo, type HostName } from './lib/hosts';
import { packPackage } from './lib/n8n';
import { cleanEnv, run } from './lib/proc';
import { runAgentSuite } from './suite/agent';
import { runHostSuite, type HostSuiteResult } from './suite/create-image';
import { Limiter, seconds, type Counts, type Log } from './suite/runner';

const REPO = resolve(__dirname, '..');
const BROWSER_SUITE = join(__dirname, 'browser', 'suite.ts');

const log: Log = (line) => console.log(line);

/** The suites run on each host, in parallel; E2E_SUITES=agent (a comma list) runs only those named. */
const SUITES = [
	['create-image', runHostSuite],
	['agent', runAgentSuite],
] as const;
const selected = process.env.E2E_SUITES ? process.env.E2E_SUITES.split(',').map((suite) => suite.trim()) : SUITES.map(([suite]) => suite);

/** `npm run build` (always: a stale dist would test old code), then `npm pack`. */
async function buildAndPack(destination: string): Promise<string> {
	const started = Date.now();
	const build = await run('npm', ['run', 'build', '--loglevel=warn'], { cwd: REPO, env: cleanEnv(), timeoutMs: 5 * 60_000 });
	if (build.exitCode !== 0) throw new Error(`npm run build failed (exit ${build.exitCode}):\n${build.stdout}\n${build.stderr}`);
	const tgz = await packPackage(REPO, destination);
	log(`built and packed in ${seconds(started)}: ${tgz}`);
	return tgz;
}

async function runBrowserSuite(): Promise<Counts | undefined> {
	if (!existsSync(BROWSER_SUITE)) return undefined;
	const started = Date.now();
	log('[browser] running e2e/browser/suite.ts');
	try {
		const suite = (await import(pathToFileURL(BROWSER_SUITE).href)) as {
			runBrowserSuite: (log: Log) => Promise<Counts>;
		};
		const counts = await suite.runBrowserSuite(log);
		log(`[browser] ${counts.passed} passed, ${counts.failed} failed in ${seconds(started)}`);
		return counts;
	} catch (error) {
		log(`[browser] FAIL  the browser suite threw: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
		return { passed: 0, failed: 1 };
	}
}

async function main(): Promise<number> {
	const started = Date.now();
	const requested = process.argv.slice(2);
	const unknown = requested.filter((name) => !(HOST_NAMES as readonly string[]).includes(name));
	if (unknown.length > 0) throw new Error(`Unknown host(s) ${unknown.join(', ')}; hosts: ${HOST_NAMES.join(', ')}`);
	const names = requested.length > 0 ? (requested as HostName[]) : [...HOST_NAMES];
	// Before minutes of installs and runs: the browser check at the end needs Chromium.
	const browserSelected = !process.env.E2E_SUITES || selected.includes('browser');
	const missing = browserSelected && existsSync(BROWSER_SUITE) ? chromiumMissing() : undefined;
	if (missing) {
		log(missing);
		log('0 passed, 1 failed');
		return 1;
	}
	const limiter = new Limiter(Number(process.env.E2E_PARALLEL) || Math.max(2, availableParallelism()));
	log(`e2e: hosts ${names.join(', ')}; up to ${limiter.limit} n8n processes at once`);

	const packDir = mkdtempSync(join(tmpdir(), 'n8n-e2e-pack-'));
	const hostTimes = new Map<string, number>();
	try {
		const packed = buildAndPack(packDir);
		const results: HostSuiteResult[] = await Promise.all(
			names.map((name) => {
				const hostStarted = Date.now();
				const host: Promise<HostInfo> = ensureHost(name, (line) => log(`[${name}] ${line}`)).then((info) => {
					hostTimes.set(name, Date.now() - hostStarted);
					log(`[${name}] n8n ${info.n8nVersion} ${info.installed ? 'installed' : 'found in cache'} in ${seconds(hostStarted)}`);
					return info;
				});
				const ready = Promise.all([host, packed]).then(([info, tgz]) => ({ host: info, tgz }));
				const suites = SUITES.filter(([suite]) => selected.includes(suite));
				return Promise.all(
					suites.map(([, runSuite]) =>
						runSuite({ ready, name, limiter, log }).then((result) => {
							result.timings.unshift(['total', Date.now() - hostStarted]);
							return result;
						}),
					),
				);
			}),
		).then((perHost) => perHost.flat());
		const browser = browserSelected ? await runBrowserSuite() : undefined;

		log('');
		log('timings (s):');
		for (const result of results) {
			const host = hostTimes.has(result.name) ? [`host ${(hostTimes.get(result.name)! / 1000).toFixed(1)}`] : [];
			const parts = [...host, ...result.timings.map(([label, ms]) => `${label} ${(ms / 1000).toFixed(1)}`)];
			log(`  ${result.name}: ${parts.join(', ')}`);
		}
		log(`  all: ${seconds(started)}`);
		for (const result of results) {
			for (const warning of result.warnings) log(`WARNING [${result.name}] ran again after a host failure: ${warning}`);
		}
		const failures = results.flatMap((result) => result.checks.failures);
		if (failures.length > 0) log(`failed:\n${failures.map((name) => `  ${name}`).join('\n')}`);

		const passed = results.reduce((sum, r) => sum + r.checks.passed, 0) + (browser?.passed ?? 0);
		const failed = results.reduce((sum, r) => sum + r.checks.failed, 0) + (browser?.failed ?? 0);
		log(`${passed} passed, ${failed} failed`);
		return failed > 0 || passed === 0 ? 1 : 0;
	} finally {
		rmSync(packDir, { recursive: true, force: true });
	}
}

main().then(
	(code) => process.exit(code),
	(error: unknown) => {
		console.error(error instanceof Error ? (error.stack ?? error.message) : error);
		console.log('0 passed, 1 failed');
		process.exit(1);
	},
);
