/**
 * Queue-mode suite: `npm run test:queue` (`npx tsx e2e/queue/run.ts`).
 *
 * The packed package in n8n 2.41.1's queue mode on this machine, everything on 127.0.0.1 and
 * started and stopped here: PostgreSQL 17, Redis, a main and two workers
 * (`n8n worker --concurrency=5`), each n8n process with its own user folder and the package
 * installed there the way n8n's installer does (e2e/lib/queue.ts). Then the scenarios of
 * scenarios.ts, one check each. Ends with `N passed, M failed`; exit 1 when anything failed.
 * After a failure it prints the last lines of each n8n process's log (their folders are removed).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { buildAndPack, ensureN8nHost, seconds } from '../../scripts/lib/instance';
import { exitOnSignals, onShutdown, shutdown } from '../../scripts/lib/processes';
import { QueueCluster } from '../lib/queue';
import { findRedisServer } from '../lib/services';
import { Checks } from '../suite/runner';
import { burst, createThenEdit, batchOnWorker, batchStopped, sharedRateLimit, stopInFlight, workerWithoutPackage } from './scenarios';

const log = (line: string) => process.stdout.write(`${line}\n`);

const SCENARIOS = [
	['1. 8 webhook calls at once, 10 items each: all succeed, both workers ran some, every image readable as a PNG of its size, none lost or doubled', burst],
	['2. 60 requests/min with 10 % 5xx shared by 2 workers, 4 executions x 30 items: >= 90 % of the limit used, 0 items lost, no execution failed', sharedRateLimit],
	['3. an execution stopped through the API with requests in flight: they are aborted, none starts after the stop, it ends cancelled', stopInFlight],
	['4. Create Image -> Edit Image on the workers: the created files read from the database, sent as multipart, the edited files stored there', createThenEdit],
	['4b. Request Mode › Batch on a worker: one batch uploaded, polled and read there, 6 images in input order in the database', batchOnWorker],
	['4c. a stop while Create Image waits for its batch: the worker cancels the batch (POST /v1/batches/{id}/cancel), the execution ends cancelled, no images', batchStopped],
	['5. a worker without the package: the execution fails with "Unrecognized node type"', workerWithoutPackage],
] as const;

async function main(): Promise<number> {
	const started = Date.now();
	const [loadAtStart] = os.loadavg();
	exitOnSignals(log);
	const checks = new Checks('[queue]', log);
	// Before anything slow: say how to get what is missing.
	try {
		findRedisServer();
	} catch (error) {
		log((error as Error).message);
		log('0 passed, 1 failed');
		return 1;
	}
	const packDir = mkdtempSync(join(os.tmpdir(), 'n8n-queue-pack-'));
	onShutdown(() => rmSync(packDir, { recursive: true, force: true }));
	let cluster: QueueCluster | undefined;
	await checks.check('queue mode up: PostgreSQL 17, Redis, n8n main and 2 workers (concurrency 5), the package on each', async () => {
		const [host, tgz] = await Promise.all([ensureN8nHost(log), buildAndPack(join(packDir, 'package'), log)]);
		cluster = await QueueCluster.start({ host, tgz, workers: ['worker-1', 'worker-2'], concurrency: 5, log: (line) => log(`  ${line}`) });
		onShutdown(() => cluster!.stop());
	});
	for (const [name, scenario] of SCENARIOS) {
		const ready = cluster;
		await checks.check(name, async () => {
			if (!ready) throw new Error('not run: queue mode did not come up');
			await scenario(ready, log);
		});
	}
	if (cluster && checks.failed > 0) {
		for (const { name, service } of [{ name: 'main', service: cluster.main.editor.service }, ...cluster.workers]) {
			log(`--- last lines of ${name}'s log ---\n${service.tail(30)}`);
		}
	}
	await shutdown();
	const cpus = os.cpus();
	log(
		`machine: ${cpus[0]?.model.trim() ?? 'unknown CPU'}, ${os.availableParallelism()} cores, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM, ` +
			`${os.type()} ${os.release()}; load average (1 min) ${loadAtStart.toFixed(2)} at start, ${os.loadavg()[0].toFixed(2)} at end`,
	);
	log(`wall time ${seconds(started)}`);
	log(`${checks.passed} passed, ${checks.failed} failed`);
	return checks.failed > 0 ? 1 : 0;
}

main().then(
	(code) => process.exit(code),
	async (error: unknown) => {
		log(error instanceof Error ? (error.stack ?? error.message) : String(error));
		await shutdown();
		log('0 passed, 1 failed');
		process.exit(1);
	},
);
