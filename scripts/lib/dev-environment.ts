/**
 * Everything `npm run dev` starts, for it and for the browser test (e2e/browser): the n8n host,
 * the package built, packed and installed into an instance folder, the image backend (local
 * server or OpenAI), the example workflow and its credential, n8n's editor and its owner.
 */
import { join } from 'node:path';
import { startImageBackend, type ImageBackend } from './backend';
import { DEV_OWNER, ensureOwner, startEditor, type Editor, type Owner } from './editor';
import { buildAndPack, claimFolder, ensureN8nHost, prepareInstance, seconds, type Log } from './instance';
import { onShutdown } from './processes';
import type { N8nInstance } from '../../e2e/lib/n8n';

export interface DevEnvironmentOptions {
	/** The instance folder (N8N_USER_FOLDER), kept between runs. */
	userFolder: string;
	/** The editor's port, or 'any' free one; default 5678 if free, else any free one. */
	port?: number | 'any';
	/** A packed package to install; default: build and pack this checkout. */
	tgz?: string;
	log: Log;
}

export interface DevEnvironment {
	instance: N8nInstance;
	editor: Editor;
	backend: ImageBackend;
	owner: Owner;
	workflowId: string;
	/** Every example's workflow id (scripts/lib/example.ts EXAMPLES order). */
	workflowIds: string[];
	workflowUrl: string;
	/** Stops the editor and the image server (also run on shutdown, see processes.ts). */
	stop(): Promise<void>;
}

export async function startDevEnvironment(options: DevEnvironmentOptions): Promise<DevEnvironment> {
	const { userFolder, log } = options;
	const started = Date.now();
	const steps: Array<() => Promise<void> | void> = [];
	let stopping: Promise<void> | undefined;
	const stop = () =>
		(stopping ??= (async () => {
			while (steps.length > 0) await steps.pop()!();
			unregister();
		})());
	const unregister = onShutdown(stop);
	try {
		steps.push(claimFolder(userFolder, 'npm run dev'));
		const backendPromise = startImageBackend();
		const [host, tgz, backend] = await Promise.all([
			ensureN8nHost(log),
			options.tgz ?? buildAndPack(join(userFolder, 'package'), log),
			backendPromise,
		]).catch(async (error) => {
			await backendPromise.then((backend) => backend.close()).catch(() => undefined);
			throw error;
		});
		steps.push(() => backend.close());
		log(`images come from ${backend.description}`);
		const { instance, workflowId, workflowIds } = await prepareInstance({ host, userFolder, tgz, backend, log });
		const editor = await startEditor(instance, { port: options.port, log });
		steps.push(() => editor.stop());
		await ensureOwner(editor, DEV_OWNER, log);
		log(`ready in ${seconds(started)}`);
		return {
			instance,
			editor,
			backend,
			owner: DEV_OWNER,
			workflowId,
			workflowIds,
			workflowUrl: `${editor.url}/workflow/${workflowId}`,
			stop,
		};
	} catch (error) {
		await stop();
		throw error;
	}
}
