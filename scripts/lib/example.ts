/** The example workflow (examples/create-images.workflow.json) and the credential it refers to. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CredentialImport } from '../../e2e/lib/n8n';
import type { ImageBackend } from './backend';

export const ROOT = join(__dirname, '..', '..');
export const EXAMPLE_WORKFLOW_FILE = join(ROOT, 'examples', 'create-images.workflow.json');
/** A fixed id, so that importing again overwrites the workflow instead of adding a copy. */
export const EXAMPLE_WORKFLOW_ID = 'createImageExmpl';
export const CREATE_IMAGE_NODE = 'Create Image';

export interface WorkflowNode {
	name: string;
	type: string;
	parameters: Record<string, unknown>;
	credentials?: Record<string, { id: string; name: string }>;
	[key: string]: unknown;
}

export interface WorkflowJson {
	id?: string;
	name: string;
	nodes: WorkflowNode[];
	[key: string]: unknown;
}

export function exampleWorkflow(): WorkflowJson & { id: string } {
	const workflow = JSON.parse(readFileSync(EXAMPLE_WORKFLOW_FILE, 'utf8')) as WorkflowJson;
	return { ...workflow, id: EXAMPLE_WORKFLOW_ID };
}

/** The credential the example's Create Image node names (id, name and type from the file). */
export function exampleCredential(backend: ImageBackend): CredentialImport {
	const node = exampleWorkflow().nodes.find((candidate) => candidate.name === CREATE_IMAGE_NODE);
	const [[type, reference] = []] = Object.entries(node?.credentials ?? {});
	if (!type || !reference) throw new Error(`${EXAMPLE_WORKFLOW_FILE}: the "${CREATE_IMAGE_NODE}" node has no credential`);
	return {
		id: reference.id,
		name: reference.name,
		type,
		data: { apiKey: backend.apiKey, organizationId: '', projectId: '', baseUrl: backend.baseUrl },
	};
}
