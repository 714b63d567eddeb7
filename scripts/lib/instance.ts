/**
 * A real n8n 2.41.1 with this package installed, the way n8n's installer does it, plus the
 * example workflow and its credential: what `npm run dev`, `npm run demo` and the browser test
 * run on. The folder may be kept between runs: the encryption key is read back from it, the
 * package is reinstalled and the workflow and credential are imported again (same ids,
 * so they are overwritten).
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { randomBytes } from 'node:crypto';
import { ensureHost, hostDir, type HostInfo, type HostName } from '../../e2e/lib/hosts';
import { N8nInstance, packPackage } from '../../e2e/lib/n8n';
import { cleanEnv, run } from '../../e2e/lib/proc';
import type { ImageBackend } from './backend';
import { EXAMPLES, exampleCredential, exampleWorkflow, ROOT } from './example';

export const HOST: HostName = 'n8n-2';

export type Log = (line: string) => void;

/** A path for the console: relative inside the checkout, absolute outside it. */
export function shown(path: string): string {
	const inside = relative(ROOT, path);
	return inside && !inside.startsWith('..') ? inside : path;
}

export function seconds(since: number): string {
	return `${((Date.now() - since) / 1000).toFixed(1)} s`;
}

/** ensureHost, saying first when it is about to install (minutes, once per machine). */
export async function ensureN8nHost(log: Log): Promise<HostInfo> {
	const { dir } = hostDir(HOST);
	// hosts.ts writes this marker last; without it ensureHost installs (or waits for an install).
	if (!existsSync(join(dir, '.e2e-host-ready'))) {
		log(`First run on this machine: installing n8n (host ${HOST}) into ${dir}.`);
		log('This takes a few minutes (npm ci of about 2,400 packages, then compiling sqlite3); later runs reuse it.');
	}
	const started = Date.now();
	const host = await ensureHost(HOST, (line) => log(`  ${line}`));
	if (host.installed) log(`n8n ${host.n8nVersion} installed in ${seconds(started)}`);
	return host;
}

/** `npm run build` (tsc + icons), then `npm pack` into `destination`; returns the .tgz. */
export async function buildAndPack(destination: string, log: Log): Promise<string> {
	const started = Date.now();
	const build = await run('npm', ['run', 'build', '--silent'], { cwd: ROOT, env: cleanEnv(), timeoutMs: 300_000 });
	if (build.exitCode !== 0) throw new Error(`npm run build failed (exit ${build.exitCode}):\n${build.stdout}\n${build.stderr}`);
	rmSync(destination, { recursive: true, force: true });
	const tgz = await packPackage(ROOT, destination);
	log(`built and packed ${shown(tgz)} in ${seconds(started)}`);
	return tgz;
}

export interface PrepareOptions {
	host: HostInfo;
	/** N8N_USER_FOLDER; created if missing, kept afterwards. */
	userFolder: string;
	tgz: string;
	backend: ImageBackend;
	/** Extra environment for every n8n command. */
	env?: Record<string, string>;
	log: Log;
}

export interface PreparedInstance {
	instance: N8nInstance;
	/** The first example's workflow id. */
	workflowId: string;
	/** Every example's workflow id, in the order of EXAMPLES. */
	workflowIds: string[];
}

/** Installs the package and imports the example workflows and their credential. */
export async function prepareInstance(options: PrepareOptions): Promise<PreparedInstance> {
	const { host, userFolder, tgz, backend, log } = options;
	mkdirSync(userFolder, { recursive: true });
	const instance = await N8nInstance.create(host, {
		userFolder,
		env: { N8N_ENCRYPTION_KEY: encryptionKey(userFolder), ...options.env },
	});
	let started = Date.now();
	const installed = await instance.installPackage(tgz);
	log(`installed ${installed.name}@${installed.version} into ${shown(userFolder)} in ${seconds(started)}`);
	// One after the other: on a new folder the first command creates the database.
	started = Date.now();
	await instance.importCredentials([exampleCredential(backend)]);
	const workflowIds = await instance.importWorkflows(EXAMPLES.map((example) => exampleWorkflow(example)));
	log(`imported the ${EXAMPLES.length} example workflows and their credential (${backend.kind === 'local' ? 'local image server' : 'OpenAI'}) in ${seconds(started)}`);
	return { instance, workflowId: workflowIds[0], workflowIds };
}

/** The key n8n already uses in this folder (its .n8n/config), else a new one n8n will save there. */
function encryptionKey(userFolder: string): string {
	const config = join(userFolder, '.n8n', 'config');
	if (existsSync(config)) {
		const { encryptionKey: key } = JSON.parse(readFileSync(config, 'utf8')) as { encryptionKey?: string };
		if (key) return key;
	}
	return randomBytes(24).toString('base64');
}

/**
 * Keeps two scripts off one instance folder at a time (two n8n on one SQLite database break
 * each other). Returns a release function; throws if a live process holds the folder.
 */
export function claimFolder(userFolder: string, what: string): () => void {
	mkdirSync(userFolder, { recursive: true });
	const pidFile = join(userFolder, 'in-use.pid');
	if (existsSync(pidFile)) {
		const pid = Number(readFileSync(pidFile, 'utf8').trim());
		if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid)) {
			throw new Error(`${userFolder} is in use by process ${pid} (another ${what}?); stop it first`);
		}
	}
	writeFileSync(pidFile, String(process.pid));
	return () => {
		try {
			if (readFileSync(pidFile, 'utf8').trim() === String(process.pid)) rmSync(pidFile, { force: true });
		} catch {
			// Already gone.
		}
	};
}

function isAlive(pid: number): boolean {
	try {
		process.kill(pid, 0);
		return true;
	} catch (error) {
		return (error as NodeJS.ErrnoException).code === 'EPERM';
	}
}
