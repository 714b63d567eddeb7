/** The example workflows (examples/*.workflow.json) and the credential they refer to. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CredentialImport } from '../../e2e/lib/n8n';
import type { ImageBackend } from './backend';

export const ROOT = join(__dirname, '..', '..');
export const EXAMPLE_WORKFLOW_FILE = join(ROOT, 'examples', 'create-images.workflow.json');
/** A fixed id, so that importing again overwrites the workflow instead of adding a copy. */
export const EXAMPLE_WORKFLOW_ID = 'createImageExmpl';
export const CREATE_IMAGE_NODE = 'Create Image';

/** An example workflow: its file, the fixed id it is imported with, and the node whose Result holds its images. */
export interface Example {
	file: string;
	id: string;
	resultNode: string;
}

/** Every example, in the order they are shown and run: Create Image alone, then Create Image -> Edit Image. */
export const EXAMPLES: readonly Example[] = [
	{ file: EXAMPLE_WORKFLOW_FILE, id: EXAMPLE_WORKFLOW_ID, resultNode: CREATE_IMAGE_NODE },
	{ file: join(ROOT, 'examples', 'create-then-edit.workflow.json'), id: 'editImageExample', resultNode: 'Edit Image' },
];

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

/** An example's workflow JSON with its fixed id (default: the first example). */
export function exampleWorkflow(example: Example = EXAMPLES[0]): WorkflowJson & { id: string } {
	const workflow = JSON.parse(readFileSync(example.file, 'utf8')) as WorkflowJson;
	return { ...workflow, id: example.id };
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
