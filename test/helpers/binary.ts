/**
 * Binary data for in-process runs. n8n-core keeps binaries through the BinaryDataService
 * singleton (DI container): mode "default" keeps them in memory (base64 in `binary.data`),
 * mode "filesystem" (what n8n 2.x uses out of the box) writes them under
 * $N8N_USER_FOLDER/.n8n/storage (a temp dir in tests) and leaves only an id in the item.
 */
import { Container } from '@n8n/di';
import { BinaryDataConfig, BinaryDataService } from 'n8n-core';
import type { IBinaryData, INodeExecutionData } from 'n8n-workflow';

export type BinaryDataMode = 'default' | 'filesystem';

let currentMode: BinaryDataMode | undefined;

/** Switch n8n-core's binary data mode (idempotent). Called by runWorkflow with 'default' if never set. */
export async function setBinaryDataMode(mode: BinaryDataMode = 'default'): Promise<void> {
	if (currentMode === mode) return;
	Container.get(BinaryDataConfig).mode = mode;
	await Container.get(BinaryDataService).init();
	currentMode = mode;
}

export function getBinaryDataMode(): BinaryDataMode | undefined {
	return currentMode;
}

/** The real bytes of an output item's binary property, whatever the storage mode. */
export async function binaryBuffer(item: INodeExecutionData, property = 'data'): Promise<Buffer> {
	const binary: IBinaryData | undefined = item.binary?.[property];
	if (!binary) {
		throw new Error(
			`Item has no binary property "${property}" (has: ${Object.keys(item.binary ?? {}).join(', ') || 'none'})`,
		);
	}
	return await Container.get(BinaryDataService).getAsBuffer(binary);
}
