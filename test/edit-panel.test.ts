/**
 * The Edit Image settings panel: which edit options n8n's display rules show for each model
 * (NodeHelpers.displayParameter, as the editor), and the public names saved in workflows.
 */
import { NodeHelpers, type INodeParameters, type INodeProperties, type INodeTypeDescription } from 'n8n-workflow';

import { EditImage } from '../nodes/EditImage/EditImage.node';

const description: INodeTypeDescription = new EditImage().description;
const options = description.properties.find((p) => p.name === 'options')!.options as INodeProperties[];

function shows(model: string, option: string): boolean {
	const parameters: INodeParameters = { model: { __rl: true, mode: 'id', value: model }, options: {} };
	const node = { id: '1', name: 'Edit Image', type: 'n8n-nodes-create-image.editImage', typeVersion: 1, position: [0, 0] as [number, number], parameters };
	return NodeHelpers.displayParameter({}, options.find((o) => o.name === option)!, node, description, parameters);
}

test.each([
	['gpt-image-1.5', true],
	['gpt-image-1.5-2025-12-16', true],
	['gpt-image-1-mini', true],
	['gpt-image-2', false],
	['gpt-image-2-2026-04-21', false],
	['gpt-image-2.5-flare', false],
	['gpt-image-2.6-sunburst', false],
	['chatgpt-image-latest', false],
	['my-local-model', true],
	['={{ $json.model }}', true],
])('Input Fidelity for %s: shown %s', (model, shown) => {
	expect(shows(model, 'inputFidelity')).toBe(shown);
});

test.each([
	['gpt-image-2.5-flare', true],
	['gpt-image-2.5-sunburst-2026-09-08', true],
	['gpt-image-2', false],
	['gpt-image-1.5', false],
	['gpt-image-2.6-flare', false],
	['my-local-model', true],
])('Markup for %s: shown %s', (model, shown) => {
	expect(shows(model, 'markup')).toBe(shown);
});

test('Mask is shown for every model', () => {
	expect(['gpt-image-2', 'gpt-image-1.5', 'gpt-image-2.5-flare', 'my-local-model'].every((model) => shows(model, 'mask'))).toBe(true);
});

test('the public interface: node type, outputs, parameters and options keep their names', () => {
	expect(description.name).toBe('editImage');
	expect(description.displayName).toBe('Edit Image');
	expect(description.version).toBe(1);
	// An AI Agent's tool call carries no files: the node is not offered as a tool.
	expect(description.usableAsTool).toBeUndefined();
	expect(description.inputs).toEqual([{ type: 'main', displayName: 'Configuration' }]);
	expect(description.outputs).toEqual([
		{ type: 'main', displayName: 'Result' },
		{ type: 'main', displayName: 'Configuration' },
	]);
	expect(description.credentials?.map((c) => c.name)).toEqual(['openAiImagesApi', 'azureOpenAiImagesApi']);
	expect(description.properties.map((p) => p.name)).toEqual(['authentication', 'model', 'prompt', 'images', 'resultFormat', 'options']);
	expect(description.properties.find((p) => p.name === 'images')!.default).toBe('data');
	expect(description.properties.find((p) => p.name === 'model')!.default).toEqual({ mode: 'id', value: 'gpt-image-2' });
	expect(options.map((o) => o.name)).toEqual(expect.arrayContaining(['mask', 'markup', 'inputFidelity', 'n', 'size', 'quality', 'outputFormat', 'extraBody', 'prices']));
	expect(options.map((o) => o.name)).not.toEqual(expect.arrayContaining(['style']));
	expect(options.map((o) => o.name)).not.toContain('moderation');
});
