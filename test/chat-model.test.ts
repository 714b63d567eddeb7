/**
 * The image server's scripted chat model (test/server/chat.ts), through the official `openai`
 * SDK: both APIs n8n's OpenAI Chat Model node uses (Responses by default, Chat Completions).
 */
import OpenAI from 'openai';

import { startImageServer, type ImageServer } from './server';

let server: ImageServer;
let client: OpenAI;
beforeAll(async () => {
	server = await startImageServer();
	client = new OpenAI({ apiKey: server.apiKey, baseURL: server.baseUrl, maxRetries: 0 });
});
afterAll(async () => await server.close());

const TOOL_PARAMETERS = {
	type: 'object',
	properties: { prompt: { type: 'string' }, size: { type: 'string' } },
	required: ['prompt'],
};
const IMAGE = [{ fileName: 'image_0_0.png', width: 1024, height: 1024, link: 'http://localhost:5678/rest/binary-data/signed?token=t' }];

test('Responses API: calls the tool with the prompt and the [args] tag, then answers with the link it returned', async () => {
	const tools = [{ type: 'function' as const, name: 'Create_Image', description: 'd', parameters: TOOL_PARAMETERS, strict: false }];
	const first = await client.responses.create({
		model: 'gpt-4o-mini',
		input: [{ role: 'user', content: 'Draw a fox [args:{"size":"1536x1024"}]' }],
		tools,
	});
	const [call] = first.output;
	expect(call).toMatchObject({ type: 'function_call', name: 'Create_Image' });
	const { call_id, arguments: args } = call as OpenAI.Responses.ResponseFunctionToolCall;
	expect(JSON.parse(args)).toEqual({ prompt: 'Draw a fox', size: '1536x1024' });

	const second = await client.responses.create({
		model: 'gpt-4o-mini',
		input: [
			{ role: 'user', content: 'Draw a fox' },
			{ type: 'function_call', call_id, name: 'Create_Image', arguments: args },
			{ type: 'function_call_output', call_id, output: JSON.stringify(IMAGE) },
		],
		tools,
	});
	expect(second.output_text).toBe(`Here is your image: ![image_0_0.png](${IMAGE[0].link})`);
	expect(server.requests.filter((request) => request.kind === 'chat')).toHaveLength(2);
});

test('Chat Completions: a tool call, then text from the tool\'s result (an error included); a wrong key is refused', async () => {
	const tools = [{ type: 'function' as const, function: { name: 'Create_Image', parameters: TOOL_PARAMETERS } }];
	const first = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Draw a cat' }], tools });
	const call = first.choices[0].message.tool_calls![0] as OpenAI.Chat.ChatCompletionMessageFunctionToolCall;
	expect(first.choices[0].finish_reason).toBe('tool_calls');
	expect(JSON.parse(call.function.arguments)).toEqual({ prompt: 'Draw a cat' });

	const second = await client.chat.completions.create({
		model: 'gpt-4o-mini',
		messages: [
			{ role: 'user', content: 'Draw a cat' },
			{ role: 'assistant', content: null, tool_calls: [call] },
			{ role: 'tool', tool_call_id: call.id, content: JSON.stringify([{ error: 'Size: not accepted' }]) },
		],
		tools,
	});
	expect(second.choices[0].message.content).toBe('The image tool failed: Size: not accepted');

	const stranger = new OpenAI({ apiKey: 'sk-wrong-key-000000', baseURL: server.baseUrl, maxRetries: 0 });
	await expect(stranger.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'hi' }] })).rejects.toMatchObject({ status: 401 });
});

test('[then:NAME]: after the first tool\'s result, calls the second tool with its link in every *url* parameter and the [then-args] tag; then answers', async () => {
	const tools = [
		{ type: 'function' as const, name: 'Create_Image', description: 'd', parameters: TOOL_PARAMETERS, strict: false },
		{ type: 'function' as const, name: 'Edit_Image', description: 'e', parameters: { type: 'object', properties: { prompt: { type: 'string' }, imageUrls: { type: 'string' } } }, strict: false },
	];
	const message = 'Draw a fox [tool:Create_Image] [then:Edit_Image] [then-args:{"prompt":"Make it night"}]';
	const first = await client.responses.create({ model: 'gpt-4o-mini', input: [{ role: 'user', content: message }], tools });
	const call = first.output[0] as OpenAI.Responses.ResponseFunctionToolCall;
	expect([call.name, JSON.parse(call.arguments)]).toEqual(['Create_Image', { prompt: 'Draw a fox' }]);

	const history: OpenAI.Responses.ResponseInput = [
		{ role: 'user', content: message },
		{ type: 'function_call', call_id: call.call_id, name: 'Create_Image', arguments: call.arguments },
		{ type: 'function_call_output', call_id: call.call_id, output: JSON.stringify(IMAGE) },
	];
	const second = await client.responses.create({ model: 'gpt-4o-mini', input: history, tools });
	const edit = second.output[0] as OpenAI.Responses.ResponseFunctionToolCall;
	expect([edit.name, JSON.parse(edit.arguments)]).toEqual(['Edit_Image', { imageUrls: IMAGE[0].link, prompt: 'Make it night' }]);

	const edited = [{ ...IMAGE[0], fileName: 'edited.png', link: 'http://localhost:5678/rest/binary-data/signed?token=e' }];
	const third = await client.responses.create({
		model: 'gpt-4o-mini',
		input: [
			...history,
			{ type: 'function_call', call_id: edit.call_id, name: 'Edit_Image', arguments: edit.arguments },
			{ type: 'function_call_output', call_id: edit.call_id, output: JSON.stringify(edited) },
		],
		tools,
	});
	expect(third.output_text).toBe(`Here is your image: ![edited.png](${edited[0].link})`);
});
