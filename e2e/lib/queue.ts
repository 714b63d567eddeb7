/**
 * n8n's queue mode on one machine, every part on 127.0.0.1 and free ports: PostgreSQL 17 and
 * Redis (services.ts, postgres.ts), one main (`n8n start`, EXECUTIONS_MODE=queue) and workers
 * (`n8n worker --concurrency=N`). Each n8n process has its own user folder, as if on its own
 * machine, with the packed package installed there the way n8n's installer does (or not, to
 * see what a worker without it does); they share the database, Redis and the encryption key.
 * Binary data goes to the database (`N8N_DEFAULT_BINARY_DATA_MODE=database`), the one mode
 * every process can read without a licence. Facts: ../../shared/notes/n8n-host.md, "Queue mode".
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { DEV_OWNER, ensureOwner, startEditor, type Editor } from '../../scripts/lib/editor';
import { seconds, type Log } from '../../scripts/lib/instance';
import { startService, type Service } from '../../scripts/lib/processes';
import type { HostInfo } from './hosts';
import { freePorts, N8nInstance } from './n8n';
import { N8nApi } from './n8n-api';
import { startPostgres, type PostgresServer } from './postgres';
import { startRedis, type LocalServer } from './services';

export interface QueueWorker {
	name: string;
	instance: N8nInstance;
	service: Service;
	logFile: string;
	/** Ids of the executions this worker started, from its log ("Worker started execution <id>"). */
	executions: Set<string>;
	stop(): Promise<void>;
}

export interface QueueClusterOptions {
	host: HostInfo;
	/** The packed package (.tgz) to install on main and on each worker that gets it. */
	tgz: string;
	/** Names of the workers to start with the package. */
	workers: string[];
	/** `n8n worker --concurrency`: executions one worker runs at once. */
	concurrency: number;
	log: Log;
}

const WORKER_READY_TIMEOUT_MS = 180_000;

export class QueueCluster {
	readonly workers: QueueWorker[] = [];

	private constructor(
		private readonly options: QueueClusterOptions,
		readonly postgres: PostgresServer,
		readonly redis: LocalServer,
		private readonly sharedEnv: Record<string, string>,
		readonly main: { instance: N8nInstance; editor: Editor },
		readonly api: N8nApi,
		/** What stop() undoes, last first. */
		private readonly stops: Array<() => Promise<void>>,
	) {}

	/** Starts PostgreSQL and Redis, then main (it runs the migrations), then the workers. */
	static async start(options: QueueClusterOptions): Promise<QueueCluster> {
		const { host, tgz, log } = options;
		const stops: Array<() => Promise<void>> = [];
		try {
			const [postgres, redis] = await Promise.all([startPostgres(log), startRedis()]);
			stops.push(() => postgres.stop(), () => redis.stop());
			log(`${postgres.version} on 127.0.0.1:${postgres.port}, Redis on 127.0.0.1:${redis.port}`);
			const sharedEnv: Record<string, string> = {
				...postgres.env,
				...redis.env,
				EXECUTIONS_MODE: 'queue',
				N8N_ENCRYPTION_KEY: randomBytes(24).toString('base64'),
				N8N_DEFAULT_BINARY_DATA_MODE: 'database',
				// n8n 2.41.1's main reaches for an outside address at start without this.
				N8N_DISABLED_MODULES: 'mcp-registry',
			};
			const instances = await Promise.all(['main', ...options.workers].map(() => N8nInstance.create(host, { env: sharedEnv })));
			stops.push(async () => instances.forEach((instance) => instance.dispose()));
			const [instance, ...workerInstances] = instances;
			let started = Date.now();
			await Promise.all(instances.map((each) => each.installPackage(tgz)));
			log(`package installed into ${instances.length} user folders in ${seconds(started)}`);

			started = Date.now();
			const editor = await startEditor(instance, { port: 'any', log });
			stops.push(() => editor.stop());
			await ensureOwner(editor, DEV_OWNER, log);
			const api = await N8nApi.connect(editor, DEV_OWNER);
			const cluster = new QueueCluster(options, postgres, redis, sharedEnv, { instance, editor }, api, stops);
			await Promise.all(options.workers.map((name, index) => cluster.startWorker(name, workerInstances[index])));
			log(`main and ${options.workers.length} workers up in ${seconds(started)}`);
			return cluster;
		} catch (error) {
			while (stops.length > 0) await stops.pop()!().catch(() => undefined);
			throw error;
		}
	}

	/**
	 * Starts a worker in `instance`'s user folder (default: a new one without the package) and
	 * resolves once its readiness check passes (database and Redis connected).
	 */
	async startWorker(name: string, instance?: N8nInstance): Promise<QueueWorker> {
		const own = instance ?? (await N8nInstance.create(this.options.host, { env: this.sharedEnv }));
		if (!instance) this.stops.push(async () => own.dispose());
		const [healthPort, brokerPort, port] = await freePorts(3);
		const logFile = join(own.userFolder, 'n8n-worker.log');
		const executions = new Set<string>();
		const started = Date.now();
		const service = startService(name, own.host.nodeBin, [own.host.n8nBin, 'worker', `--concurrency=${this.options.concurrency}`], {
			cwd: own.userFolder,
			logFile,
			env: {
				...own.env(),
				N8N_PORT: String(port),
				N8N_RUNNERS_BROKER_PORT: String(brokerPort),
				QUEUE_HEALTH_CHECK_ACTIVE: 'true',
				QUEUE_HEALTH_CHECK_PORT: String(healthPort),
				N8N_WORKER_SERVER_ADDRESS: '127.0.0.1',
			},
			onLine: (line) => {
				const match = /Worker started execution (\d+)/.exec(line);
				if (match) executions.add(match[1]);
			},
		});
		const worker: QueueWorker = { name, instance: own, service, logFile, executions, stop: () => service.stop(30_000) };
		this.workers.push(worker);
		this.stops.push(() => worker.stop());
		await waitUntilReady(`http://127.0.0.1:${healthPort}/healthz/readiness`, service, WORKER_READY_TIMEOUT_MS).catch((error: Error) => {
			throw new Error(`worker ${name} did not get ready: ${error.message}\nlog: ${logFile}\n${service.tail()}`);
		});
		this.options.log(`worker ${name} ready in ${seconds(started)} (concurrency ${this.options.concurrency}, log: ${logFile})`);
		return worker;
	}

	/** The worker whose log says it started execution `id`, if any. */
	workerOf(id: string): QueueWorker | undefined {
		return this.workers.find((worker) => worker.executions.has(id));
	}

	/** Stops workers, main, then Redis and PostgreSQL; removes every folder. */
	async stop(): Promise<void> {
		while (this.stops.length > 0) await this.stops.pop()!().catch(() => undefined);
	}
}

async function waitUntilReady(url: string, service: Service, timeoutMs: number): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	let exitCode: number | undefined;
	void service.exited.then((code) => (exitCode = code));
	for (;;) {
		if (exitCode !== undefined) throw new Error(`it exited (code ${exitCode})`);
		const ok = await fetch(url, { signal: AbortSignal.timeout(5_000) }).then(
			(response) => response.ok,
			() => false,
		);
		if (ok) return;
		if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s`);
		await new Promise((wake) => setTimeout(wake, 500));
	}
}
