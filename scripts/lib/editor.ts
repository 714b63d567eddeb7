/**
 * n8n's editor (`n8n start`) on an instance from instance.ts, and its owner account.
 * Checked against n8n 2.41.1: `POST /rest/owner/setup` (OwnerController, skipAuth) takes
 * OwnerSetupRequestDto { email, firstName, lastName, password } (password: 8-64 characters, a
 * digit and an upper-case letter) and answers 400 "Instance owner already setup" once done;
 * `GET /rest/settings` has `userManagement.showSetupOnFirstLoad` until then; `POST /rest/login`
 * takes { emailOrLdapLoginId, password } and sets the `n8n-auth` cookie.
 */
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { N8nInstance } from '../../e2e/lib/n8n';
import { freePorts } from '../../e2e/lib/n8n';
import { seconds, type Log } from './instance';
import { startService, type Service } from './processes';

export interface Owner {
	email: string;
	firstName: string;
	lastName: string;
	password: string;
}

/** The login of every instance these scripts make (local, on 127.0.0.1 only). */
export const DEV_OWNER: Owner = {
	email: 'owner@example.com',
	firstName: 'Create',
	lastName: 'Image',
	password: 'CreateImage-Dev1',
};

export interface Editor {
	/** http://localhost:PORT */
	url: string;
	port: number;
	service: Service;
	logFile: string;
	stop(): Promise<void>;
}

const START_TIMEOUT_MS = 180_000;

/**
 * Starts `n8n start` and resolves once its REST API answers. `port`: a number (must be free),
 * 'any' (any free port), or undefined: 5678 if free, else any free port.
 */
export async function startEditor(instance: N8nInstance, options: { port?: number | 'any'; log: Log }): Promise<Editor> {
	// Both at once, so that the task broker never gets the editor's port.
	const [anyPort, brokerPort] = await freePorts(2);
	let port: number;
	if (typeof options.port === 'number') {
		if (!(await isFree(options.port))) throw new Error(`port ${options.port} is in use`);
		port = options.port;
	} else port = options.port === undefined && (await isFree(5678)) ? 5678 : anyPort;
	if (port === brokerPort) throw new Error(`port ${port} is in use`);
	const url = `http://localhost:${port}`;
	const logFile = join(instance.userFolder, 'n8n-start.log');
	const started = Date.now();
	const service = startService('n8n', instance.host.nodeBin, [instance.host.n8nBin, 'start'], {
		cwd: instance.userFolder,
		logFile,
		env: {
			...instance.env(),
			N8N_PORT: String(port),
			N8N_RUNNERS_BROKER_PORT: String(brokerPort),
			N8N_HOST: 'localhost',
			N8N_EDITOR_BASE_URL: url,
			N8N_WEBHOOK_URL: `${url}/`,
			// Plain http on localhost: a Secure cookie would need https outside of localhost.
			N8N_SECURE_COOKIE: 'false',
		},
	});
	const stop = () => service.stop(15_000);
	try {
		await waitFor(
			async () => {
				const response = await fetch(`http://127.0.0.1:${port}/rest/settings`, { signal: AbortSignal.timeout(5_000) });
				// Signed out, n8n answers its public settings (and nothing else answers like that).
				const body = response.ok ? ((await response.json()) as { data?: { userManagement?: unknown } }) : undefined;
				return body?.data?.userManagement !== undefined;
			},
			service,
			START_TIMEOUT_MS,
		);
	} catch (error) {
		await stop();
		throw new Error(`n8n start did not come up on ${url}: ${(error as Error).message}\nlog: ${logFile}\n${service.tail()}`);
	}
	options.log(`n8n ${instance.host.n8nVersion} editor up on ${url} in ${seconds(started)} (log: ${logFile})`);
	return { url, port, service, logFile, stop };
}

/** Sets the owner up on a new instance; on one already set up, checks that the login works. */
export async function ensureOwner(editor: Editor, owner: Owner, log: Log): Promise<void> {
	const settings = (await getJson(editor, '/rest/settings')) as { data: { userManagement?: { showSetupOnFirstLoad?: boolean } } };
	if (settings.data.userManagement?.showSetupOnFirstLoad) {
		const response = await fetch(`${base(editor)}/rest/owner/setup`, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify(owner),
		});
		if (!response.ok) throw new Error(`POST /rest/owner/setup: ${response.status} ${await response.text()}`);
		log(`owner account set up: ${owner.email}`);
		return;
	}
	try {
		await login(editor, owner);
		log(`owner account already set up: ${owner.email} (login checked)`);
	} catch (error) {
		throw new Error(
			`The instance already has an owner, and ${owner.email} / ${owner.password} does not log in ` +
				`(${(error as Error).message}). Changed in the editor? Remove the instance folder to start afresh.`,
		);
	}
}

/** Logs in through the REST API; returns the value of the `n8n-auth` cookie. */
export async function login(editor: Editor, owner: Owner): Promise<string> {
	const response = await fetch(`${base(editor)}/rest/login`, {
		method: 'POST',
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify({ emailOrLdapLoginId: owner.email, password: owner.password }),
	});
	if (!response.ok) throw new Error(`POST /rest/login: ${response.status} ${await response.text()}`);
	const cookie = response.headers.getSetCookie().find((line) => line.startsWith('n8n-auth='));
	if (!cookie) throw new Error('POST /rest/login set no n8n-auth cookie');
	return cookie.slice('n8n-auth='.length).split(';')[0];
}

function base(editor: Editor): string {
	return `http://127.0.0.1:${editor.port}`;
}

async function getJson(editor: Editor, path: string): Promise<unknown> {
	const response = await fetch(`${base(editor)}${path}`);
	if (!response.ok) throw new Error(`GET ${path}: ${response.status}`);
	return response.json();
}

async function waitFor(check: () => Promise<boolean>, service: Service, timeoutMs: number): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	let exitCode: number | undefined;
	void service.exited.then((code) => (exitCode = code));
	for (;;) {
		if (exitCode !== undefined) throw new Error(`it exited (code ${exitCode})`);
		try {
			if (await check()) return;
		} catch {
			// Not listening yet.
		}
		if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s`);
		await new Promise((wake) => setTimeout(wake, 500));
	}
}

async function isFree(port: number): Promise<boolean> {
	return new Promise((resolve) => {
		const server = createServer();
		server.once('error', () => resolve(false));
		server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
	});
}
