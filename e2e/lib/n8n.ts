/**
 * A private, offline n8n instance on one of the cached hosts (see hosts.ts), driven through
 * n8n's own CLI: install a community package the way n8n's installer does, import workflows
 * and credentials, run a workflow with `n8n execute` and read back its run data.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import type { HostInfo } from './hosts';
import { cleanEnv, mustRun, run, type RunResult } from './proc';

export interface CreateInstanceOptions {
	/** Folder for the instance (N8N_USER_FOLDER); default: a new temporary folder. */
	userFolder?: string;
	/** Extra environment for every n8n command of this instance. */
	env?: Record<string, string>;
}

export interface CredentialImport {
	id: string;
	name: string;
	type: string;
	/** The plain credential fields: n8n encrypts them with the instance key on import. */
	data: Record<string, unknown>;
}

export interface ExecuteResult {
	exitCode: number;
	/** The signal that ended n8n, if one did (exitCode is then 128 + its number). */
	signal: NodeJS.Signals | null;
	/** The run data n8n printed (undefined when it printed none, e.g. the workflow was not found). */
	run: N8nRun | undefined;
	stdout: string;
	stderr: string;
	durationMs: number;
}

/** The part of n8n's run data the suite reads; the rest is there too, untyped. */
export interface N8nRun {
	status?: string;
	finished?: boolean;
	data: {
		resultData: {
			runData: Record<string, N8nTaskData[]>;
			error?: { message: string; [key: string]: unknown };
			lastNodeExecuted?: string;
		};
	};
	[key: string]: unknown;
}

export interface N8nTaskData {
	executionStatus?: string;
	error?: { message: string; [key: string]: unknown };
	data?: { main: Array<N8nItem[] | null> };
	[key: string]: unknown;
}

export interface N8nBinary {
	mimeType: string;
	/** base64 of the file, or the mode's name (e.g. `filesystem-v2`) when `id` points at a stored file. */
	data: string;
	id?: string;
	fileName?: string;
	fileExtension?: string;
	fileSize?: string;
	[key: string]: unknown;
}

export interface N8nItem {
	json: Record<string, unknown>;
	binary?: Record<string, N8nBinary>;
	pairedItem?: unknown;
	[key: string]: unknown;
}

export interface InstalledPackage {
	name: string;
	version: string;
	dir: string;
}

const IMPORT_TIMEOUT_MS = 120_000;
const EXECUTE_TIMEOUT_MS = 180_000;
const NPM_TIMEOUT_MS = 300_000;

export class N8nInstance {
	private constructor(
		readonly host: HostInfo,
		readonly userFolder: string,
		private readonly baseEnv: NodeJS.ProcessEnv,
		private readonly ownsFolder: boolean,
	) {}

	static async create(host: HostInfo, options: CreateInstanceOptions = {}): Promise<N8nInstance> {
		const ownsFolder = !options.userFolder;
		const userFolder = options.userFolder
			? resolve(options.userFolder)
			: mkdtempSync(join(tmpdir(), `n8n-e2e-${host.name}-`));
		mkdirSync(userFolder, { recursive: true });
		const env: NodeJS.ProcessEnv = {
			...host.env(),
			N8N_USER_FOLDER: userFolder,
			N8N_ENCRYPTION_KEY: randomBytes(24).toString('hex'),
			DB_TYPE: 'sqlite',
			N8N_DIAGNOSTICS_ENABLED: 'false',
			N8N_VERSION_NOTIFICATIONS_ENABLED: 'false',
			N8N_TEMPLATES_ENABLED: 'false',
			N8N_PERSONALIZATION_ENABLED: 'false',
			N8N_COMMUNITY_PACKAGES_REINSTALL_MISSING: 'false',
			N8N_LISTEN_ADDRESS: '127.0.0.1',
			N8N_RUNNERS_BROKER_LISTEN_ADDRESS: '127.0.0.1',
			// The run data is printed through n8n's logger: below `info` it disappears.
			N8N_LOG_LEVEL: 'info',
			N8N_LOG_OUTPUT: 'console',
			GENERIC_TIMEZONE: 'UTC',
			TZ: 'UTC',
			...options.env,
		};
		return new N8nInstance(host, userFolder, env, ownsFolder);
	}

	/** The environment of this instance's n8n commands (without ports), to run one yourself, e.g. `n8n start`. */
	env(): NodeJS.ProcessEnv {
		return { ...this.baseEnv };
	}

	/** Runs `n8n <args>`, each time on fresh ports so several commands may run at once. */
	async n8n(args: string[], timeoutMs = IMPORT_TIMEOUT_MS): Promise<RunResult> {
		const [port, brokerPort] = await freePorts(2);
		return run(this.host.nodeBin, [this.host.n8nBin, ...args], {
			cwd: this.userFolder,
			env: { ...this.baseEnv, N8N_PORT: String(port), N8N_RUNNERS_BROKER_PORT: String(brokerPort) },
			timeoutMs,
		});
	}

	/** Imports workflows (files or objects) in one n8n start; returns their ids, in order. */
	async importWorkflows(workflows: Array<string | Record<string, unknown>>): Promise<string[]> {
		const dir = mkdtempSync(join(this.userFolder, 'import-workflows-'));
		try {
			const ids = workflows.map((workflow, index) => {
				const data = typeof workflow === 'string' ? readJson(workflow) : { ...workflow };
				if (typeof data.id !== 'string' || data.id === '') data.id = newId();
				writeFileSync(join(dir, `${index}.json`), JSON.stringify(data));
				return data.id as string;
			});
			await this.mustSucceed(['import:workflow', '--separate', `--input=${dir}`]);
			return ids;
		} finally {
			rmSync(dir, { recursive: true, force: true });
		}
	}

	async importWorkflow(workflow: string | Record<string, unknown>): Promise<string> {
		const [id] = await this.importWorkflows([workflow]);
		return id;
	}

	async importCredentials(credentials: CredentialImport[]): Promise<void> {
		const file = join(this.userFolder, `import-credentials-${newId()}.json`);
		writeFileSync(file, JSON.stringify(credentials));
		try {
			await this.mustSucceed(['import:credentials', `--input=${file}`]);
		} finally {
			rmSync(file, { force: true });
		}
	}

	/** `n8n execute --id=<id> --rawOutput`; exit code 1 means a node failed (run data is still there). */
	async execute(workflowId: string, timeoutMs = EXECUTE_TIMEOUT_MS): Promise<ExecuteResult> {
		const result = await this.n8n(['execute', `--id=${workflowId}`, '--rawOutput'], timeoutMs);
		return { ...result, run: parseRunData(result.stdout) };
	}

	/**
	 * The bytes of a binary file in the run data: inline base64 (n8n 1.x, or binary data mode
	 * `default`), or a file in the instance's storage (n8n 2.x's default mode, `filesystem-v2`).
	 */
	readBinary(binary: N8nBinary): Buffer {
		const prefix = 'filesystem-v2:';
		if (binary.id?.startsWith(prefix)) {
			return readFileSync(join(this.userFolder, '.n8n', 'storage', binary.id.slice(prefix.length)));
		}
		if (binary.id) throw new Error(`Binary data mode of ${binary.id} is not supported here`);
		return Buffer.from(binary.data, 'base64');
	}

	/** Installs a packed community package (.tgz) into this instance. */
	installPackage(tgzPath: string): Promise<InstalledPackage> {
		return installPackage(tgzPath, this.userFolder, this.host.env());
	}

	/** Removes the instance folder if this instance created it. */
	dispose(): void {
		if (this.ownsFolder) rmSync(this.userFolder, { recursive: true, force: true });
	}

	private async mustSucceed(args: string[]): Promise<RunResult> {
		const result = await this.n8n(args);
		if (result.exitCode !== 0) {
			throw new Error(`n8n ${args.join(' ')} failed (exit ${result.exitCode}):\n${result.stdout}\n${result.stderr}`);
		}
		return result;
	}
}

/**
 * What n8n's community-package installer does (CommunityPackagesService.downloadPackage, the
 * same in 1.123 and 2.41), with a local tarball in place of `npm pack <name>@<version>`:
 * extract it into `<user folder>/.n8n/nodes/node_modules/<name>`, drop dev, peer and optional
 * dependencies from its package.json, `npm install` the rest there with n8n's flags, and
 * record the package in the nodes folder's package.json.
 */
export async function installPackage(
	tgzPath: string,
	userFolder: string,
	env: NodeJS.ProcessEnv = cleanEnv(),
): Promise<InstalledPackage> {
	const listing = await mustRun('tar', ['-xzOf', resolve(tgzPath), 'package/package.json'], { env, timeoutMs: 60_000 });
	const { name } = JSON.parse(listing.stdout) as { name: string };
	const nodesDir = join(userFolder, '.n8n', 'nodes');
	const dir = join(nodesDir, 'node_modules', name);
	rmSync(dir, { recursive: true, force: true });
	mkdirSync(dir, { recursive: true });
	await mustRun('tar', ['-xzf', resolve(tgzPath), '-C', dir, '--strip-components=1'], { env, timeoutMs: 60_000 });

	const manifest = readJson(join(dir, 'package.json'));
	delete manifest.devDependencies;
	delete manifest.peerDependencies;
	delete manifest.optionalDependencies;
	writeFileSync(join(dir, 'package.json'), JSON.stringify(manifest, null, 2), 'utf-8');
	const npmArgs = ['--audit=false', '--fund=false', '--bin-links=false', '--install-strategy=shallow', '--ignore-scripts=true', '--package-lock=false'];
	await mustRun('npm', ['install', ...npmArgs], { cwd: dir, env, timeoutMs: NPM_TIMEOUT_MS });

	const ledgerPath = join(nodesDir, 'package.json');
	const ledger = existsSync(ledgerPath)
		? (readJson(ledgerPath) as { dependencies: Record<string, string> })
		: { name: 'installed-nodes', private: true, dependencies: {} as Record<string, string> };
	ledger.dependencies[name] = manifest.version as string;
	writeFileSync(ledgerPath, JSON.stringify(ledger, null, 2), 'utf-8');
	return { name, version: manifest.version as string, dir };
}

/** `npm pack` of a package folder (scripts off: build it first); returns the .tgz path. */
export async function packPackage(packageDir: string, destination: string): Promise<string> {
	mkdirSync(destination, { recursive: true });
	const result = await mustRun(
		'npm',
		['pack', '--ignore-scripts', '--json', '--loglevel=warn', `--pack-destination=${resolve(destination)}`],
		{ cwd: packageDir, env: cleanEnv(), timeoutMs: NPM_TIMEOUT_MS },
	);
	const [packed] = JSON.parse(result.stdout) as Array<{ filename: string }>;
	return join(resolve(destination), basename(packed.filename));
}

/**
 * n8n prints the run data as indented JSON among its log lines: from a line that is exactly
 * `{` to the next line that is exactly `}`.
 */
export function parseRunData(stdout: string): N8nRun | undefined {
	const lines = stdout.split(/\r?\n/);
	const start = lines.indexOf('{');
	if (start === -1) return undefined;
	const end = lines.indexOf('}', start + 1);
	if (end === -1) return undefined;
	return JSON.parse(lines.slice(start, end + 1).join('\n')) as N8nRun;
}

/** The items a node put out on one output in its first run (throws if the node did not run). */
export function nodeOutput(runData: N8nRun, nodeName: string, outputIndex = 0): N8nItem[] {
	const task = runData.data.resultData.runData[nodeName]?.[0];
	if (!task) {
		throw new Error(`Node "${nodeName}" did not run; ran: ${Object.keys(runData.data.resultData.runData).join(', ')}`);
	}
	return task.data?.main[outputIndex] ?? [];
}

/** Ports the OS reports free right now (another process may still take one before n8n does). */
export async function freePorts(count: number): Promise<number[]> {
	const servers = await Promise.all(
		Array.from(
			{ length: count },
			() =>
				new Promise<ReturnType<typeof createServer>>((resolvePort, reject) => {
					const server = createServer();
					server.once('error', reject);
					server.listen(0, '127.0.0.1', () => resolvePort(server));
				}),
		),
	);
	const ports = servers.map((server) => (server.address() as { port: number }).port);
	await Promise.all(servers.map((server) => new Promise((done) => server.close(done))));
	return ports;
}

function readJson(file: string): Record<string, unknown> {
	return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
}

/** An id in n8n's own format: 16 letters and digits. */
function newId(): string {
	const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
	return Array.from(randomBytes(16), (byte) => alphabet[byte % alphabet.length]).join('');
}
