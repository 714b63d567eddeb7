/**
 * sqlite3 is the one native module n8n needs, and the registry holds no binary of it (its
 * install script downloads one from GitHub). Compiling it takes a minute of one core, so it
 * is compiled once per machine, from the exact tarball the host lockfiles pin, and the
 * binary is copied into every host. sqlite3 is a Node-API addon: built for Node-API 6 (as
 * its upstream binaries are) it loads on Node 20 and Node 24 alike. The build needs no
 * installed host, so it runs while the hosts' `npm ci` run.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { cacheRoot, withLock } from './cache';
import { cleanEnv, run } from './proc';
import { packageName, tarballUrl, verifyFile, type Lockfile } from './lockfile';

/** Bump when the build steps change. */
const BUILD_VERSION = '1';
const NAPI_BUILD_VERSION = '6';
const BINARY = 'node_sqlite3.node';
const MARKER = '.e2e-sqlite3-ready';
const inFlight = new Map<string, Promise<string>>();

/** The one call sqlite3's deps/extract.js makes: `tar.extract({ sync: true, file, cwd })`. */
const TAR_SHIM = `const { execFileSync } = require('child_process');
exports.extract = ({ file, cwd }) => execFileSync('tar', ['-xzf', file, '-C', cwd], { stdio: 'inherit' });
`;

/** Lockfile keys of every sqlite3 a host installs. */
export function sqlite3Paths(lock: Lockfile): string[] {
	return Object.keys(lock.packages).filter((key) => /(^|\/)node_modules\/sqlite3$/.test(key));
}

interface BuildInputs {
	dir: string;
	/** [folder name, lockfile path] of what the build needs. */
	parts: Array<[string, string]>;
}

function buildInputs(lock: Lockfile): BuildInputs {
	const [sqlitePath, ...others] = sqlite3Paths(lock);
	if (!sqlitePath) throw new Error('The host lockfile has no sqlite3');
	const sqlite3 = lock.packages[sqlitePath];
	for (const other of others) {
		if (lock.packages[other].integrity !== sqlite3.integrity) throw new Error(`Two different sqlite3 in one host: ${other}`);
	}
	const addonApiPath = [`${sqlitePath}/node_modules/node-addon-api`, 'node_modules/node-addon-api'].find(
		(path) => lock.packages[path],
	);
	if (!addonApiPath) throw new Error('The host lockfile has no node-addon-api for sqlite3');
	const addonApi = lock.packages[addonApiPath];
	const key = createHash('sha256')
		.update([BUILD_VERSION, NAPI_BUILD_VERSION, process.platform, process.arch, sqlite3.integrity, addonApi.integrity].join('\0'))
		.digest('hex')
		.slice(0, 16);
	return {
		dir: join(cacheRoot(), `sqlite3-${sqlite3.version}-${key}`),
		parts: [
			['sqlite3', sqlitePath],
			['node-addon-api', addonApiPath],
		],
	};
}

/** The cache folder of the sqlite3 build a lockfile needs. */
export function sqlite3BuildDir(lock: Lockfile): string {
	return buildInputs(lock).dir;
}

/** Builds (or finds in the cache) node_sqlite3.node for the sqlite3 the lockfile pins; returns its path. */
export async function ensureSqlite3Binary(lock: Lockfile, registry: string, log: (line: string) => void): Promise<string> {
	const { dir, parts } = buildInputs(lock);
	const binary = join(dir, BINARY);
	if (existsSync(join(dir, MARKER))) return binary;
	// Both hosts of one run ask at once: share the build instead of polling the lock.
	let pending = inFlight.get(dir);
	if (!pending) {
		pending = build(dir, binary, lock, parts, registry, log).finally(() => inFlight.delete(dir));
		inFlight.set(dir, pending);
	}
	return pending;
}

async function build(
	dir: string,
	binary: string,
	lock: Lockfile,
	parts: Array<[string, string]>,
	registry: string,
	log: (line: string) => void,
): Promise<string> {
	const sqlite3 = lock.packages[parts[0][1]];
	await withLock(`${dir}.lock`, log, async () => {
		if (existsSync(join(dir, MARKER))) return;
		const started = Date.now();
		rmSync(dir, { recursive: true, force: true });
		mkdirSync(dir, { recursive: true });
		const env = cleanEnv();
		const logFile = join(dir, 'build.log');
		log(`sqlite3 ${sqlite3.version}: compiling once for all hosts (log: ${logFile})`);

		// The exact tarballs the lockfile pins, checked against its integrity hashes.
		const tarballs = join(dir, 'tarballs');
		mkdirSync(tarballs, { recursive: true });
		const urls = parts.map(([, path]) => {
			const entry = lock.packages[path];
			return entry.resolved ?? tarballUrl(registry, packageName(path, entry), entry.version as string);
		});
		await mustRun('npm', ['pack', ...urls, `--pack-destination=${tarballs}`, '--loglevel=warn'], dir, env, logFile);
		for (const [name, path] of parts) {
			const entry = lock.packages[path];
			const tarball = join(tarballs, `${name}-${entry.version}.tgz`);
			verifyFile(tarball, entry.integrity as string);
			const target = join(dir, 'node_modules', name);
			mkdirSync(target, { recursive: true });
			await mustRun('tar', ['-xzf', tarball, '-C', target, '--strip-components=1'], dir, env, logFile);
		}

		// sqlite3's build unpacks its bundled SQLite source with node-tar (an install dependency
		// of sqlite3 that is not otherwise needed): stand in for it with the system's tar.
		mkdirSync(join(dir, 'node_modules', 'tar'), { recursive: true });
		writeFileSync(join(dir, 'node_modules', 'tar', 'package.json'), JSON.stringify({ name: 'tar', main: 'index.js' }));
		writeFileSync(join(dir, 'node_modules', 'tar', 'index.js'), TAR_SHIM);

		// `npm run` puts npm's own node-gyp on PATH; headers of the Node running this, when present
		// (the Node-API build does not depend on which Node's headers it is).
		const nodePrefix = dirname(dirname(process.execPath));
		const buildEnv: NodeJS.ProcessEnv = { ...env, JOBS: 'max' };
		if (existsSync(join(nodePrefix, 'include', 'node', 'node_api.h'))) buildEnv.npm_config_nodedir = nodePrefix;
		writeFileSync(
			join(dir, 'package.json'),
			JSON.stringify({
				private: true,
				scripts: { build: `cd node_modules/sqlite3 && node-gyp rebuild --napi_build_version=${NAPI_BUILD_VERSION}` },
			}),
		);
		await mustRun('npm', ['run', 'build', '--loglevel=warn'], dir, buildEnv, logFile);
		copyFileSync(join(dir, 'node_modules', 'sqlite3', 'build', 'Release', BINARY), binary);
		writeFileSync(join(dir, MARKER), new Date().toISOString());
		log(`sqlite3 ${sqlite3.version}: compiled in ${((Date.now() - started) / 1000).toFixed(1)} s`);
	});
	return binary;
}

/** Puts the prebuilt binary where sqlite3 looks for it (`bindings` tries build/Release first). */
export function installSqlite3Binary(binary: string, hostDir: string, lock: Lockfile): void {
	for (const path of sqlite3Paths(lock)) {
		const release = join(hostDir, path, 'build', 'Release');
		mkdirSync(release, { recursive: true });
		copyFileSync(binary, join(release, BINARY));
	}
}

async function mustRun(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv, logFile: string) {
	const result = await run(command, args, { cwd, env, logFile, timeoutMs: 10 * 60_000 });
	if (result.exitCode !== 0) {
		const tail = readFileSync(logFile, 'utf8').split('\n').slice(-40).join('\n');
		throw new Error(`${command} ${args.join(' ')} failed (exit ${result.exitCode}) in ${cwd}:\n${tail}`);
	}
}
