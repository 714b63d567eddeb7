/**
 * A scripted chat model for the image server: enough of `POST /v1/chat/completions` and
 * `POST /v1/responses` (the OpenAI Responses API, which n8n's OpenAI Chat Model node 1.3 calls
 * by default) for n8n's AI Agent to run its tools against it. Not a language model: each turn
 * follows a fixed script that reads the conversation.
 *
 *   - The last user message has no tool result after it, and tools are offered: call the first
 *     tool (or the one named by `[tool:NAME]` in the message) with `{ prompt: <the message> }`
 *     when its schema takes `prompt`, plus the JSON object of an `[args:{...}]` tag. The tags are
 *     removed from the prompt.
 *   - One tool result follows and the message has `[then:NAME]`: call tool NAME with the link
 *     (or url) of the first image of that result in each of its parameters whose name holds
 *     "url" (e.g. Edit Image Tool's imageUrls), plus the JSON object of a `[then-args:{...}]` tag
 *     (e.g. its prompt): a second step that uses what the first tool gave.
 *   - Else, a tool result follows: answer with text built from it: `![fileName](link)` for each image
 *     with a `link` (or else a `url`), else "Created fileName (WxH), delivered to the workflow.";
 *     an `error` becomes "The image tool failed: <error>".
 *   - No tools: answer "OK: <the message>".
 */
import { randomBytes } from 'node:crypto';

export type ChatApi = 'chat' | 'responses';

interface ToolDefinition {
	name: string;
	parameters?: { properties?: Record<string, unknown> };
}

interface Conversation {
	/** Text of the last user message. */
	userText: string;
	/** Tool results after the last user message, as the model received them (text). */
	toolResults: string[];
	tools: ToolDefinition[];
}

export type ModelTurn = { toolCall: { id: string; name: string; arguments: string } } | { text: string };

const text = (content: unknown): string => {
	if (typeof content === 'string') return content;
	if (Array.isArray(content)) {
		return content
			.map((part) => (part && typeof part === 'object' && 'text' in part ? String((part as { text: unknown }).text) : ''))
			.join('');
	}
	return '';
};

/** The parts of a request the script reads, from either API's shape. */
export function readConversation(api: ChatApi, body: Record<string, unknown>): Conversation {
	const entries: Array<{ role: string; content: unknown }> = [];
	if (api === 'chat') {
		for (const message of (body.messages ?? []) as Array<{ role: string; content: unknown }>) entries.push(message);
	} else if (typeof body.input === 'string') {
		entries.push({ role: 'user', content: body.input });
	} else {
		for (const entry of (body.input ?? []) as Array<Record<string, unknown>>) {
			if (entry.type === 'function_call_output') entries.push({ role: 'tool', content: entry.output });
			else if (typeof entry.role === 'string') entries.push({ role: entry.role, content: entry.content });
		}
	}
	const lastUser = entries.map((entry) => entry.role).lastIndexOf('user');
	const tools = ((body.tools ?? []) as Array<Record<string, unknown>>).map((tool) =>
		(api === 'chat' ? tool.function : tool) as ToolDefinition,
	);
	return {
		userText: lastUser >= 0 ? text(entries[lastUser].content) : '',
		toolResults: entries.slice(lastUser + 1).filter((entry) => entry.role === 'tool').map((entry) => text(entry.content)),
		tools,
	};
}

/** What the scripted model does next (see the file comment). */
export function scriptedTurn(conversation: Conversation): ModelTurn {
	const { userText, toolResults, tools } = conversation;
	const toolTag = /\[tool:([^\]]+)\]/.exec(userText)?.[1];
	const argsTag = /\[args:(\{.*?\})\]/.exec(userText)?.[1];
	const thenTag = /\[then:([^\]]+)\]/.exec(userText)?.[1];
	const thenArgsTag = /\[then-args:(\{.*?\})\]/.exec(userText)?.[1];
	const prompt = userText.replace(/\[(?:tool|args|then|then-args):(?:\{.*?\}|[^\]]+)\]/g, '').replace(/\s+/g, ' ').trim();
	if (toolResults.length === 0 && tools.length > 0) {
		const tool = tools.find((candidate) => candidate.name === toolTag) ?? tools[0];
		const args: Record<string, unknown> = {};
		if (tool.parameters?.properties && 'prompt' in tool.parameters.properties) args.prompt = prompt;
		Object.assign(args, argsTag ? (JSON.parse(argsTag) as object) : {});
		return { toolCall: { id: `call_${randomBytes(8).toString('hex')}`, name: tool.name, arguments: JSON.stringify(args) } };
	}
	if (toolResults.length === 0) return { text: `OK: ${prompt}` };
	const next = thenTag && toolResults.length === 1 ? tools.find((candidate) => candidate.name === thenTag) : undefined;
	const link = next && firstLink(toolResults[0]);
	if (next && link) {
		const args: Record<string, unknown> = {};
		for (const name of Object.keys(next.parameters?.properties ?? {})) if (/url/i.test(name)) args[name] = link;
		Object.assign(args, thenArgsTag ? (JSON.parse(thenArgsTag) as object) : {});
		return { toolCall: { id: `call_${randomBytes(8).toString('hex')}`, name: next.name, arguments: JSON.stringify(args) } };
	}
	return { text: answerFrom(toolResults[toolResults.length - 1]) };
}

/** The link (or url) of the first image in a tool result, if any. */
function firstLink(result: string): string | undefined {
	try {
		const parsed = JSON.parse(result) as unknown;
		const first = (Array.isArray(parsed) ? parsed[0] : parsed) as Record<string, unknown> | undefined;
		const link = first?.link ?? first?.url;
		return typeof link === 'string' ? link : undefined;
	} catch {
		return undefined;
	}
}

function answerFrom(result: string): string {
	let parsed: unknown;
	try {
		parsed = JSON.parse(result);
	} catch {
		return `The tool said: ${result}`;
	}
	const entries = (Array.isArray(parsed) ? parsed : [parsed]) as Array<Record<string, unknown>>;
	const lines = entries.map((entry) => {
		if (entry && typeof entry.error === 'string') return `The image tool failed: ${entry.error}`;
		const link = entry?.link ?? entry?.url;
		if (typeof link === 'string') return `Here is your image: ![${String(entry.fileName)}](${link})`;
		return `Created ${String(entry?.fileName)} (${String(entry?.width)}x${String(entry?.height)}), delivered to the workflow.`;
	});
	return lines.join('\n');
}

const USAGE = { prompt: 20, completion: 10 };

/** The answer body for a turn, in the shape of the API that was called (non-streaming). */
export function answerBody(api: ChatApi, model: string, turn: ModelTurn): Record<string, unknown> {
	const created = Math.floor(Date.now() / 1000);
	const id = randomBytes(12).toString('hex');
	if (api === 'chat') {
		const message =
			'toolCall' in turn
				? {
						role: 'assistant',
						content: null,
						tool_calls: [{ id: turn.toolCall.id, type: 'function', function: { name: turn.toolCall.name, arguments: turn.toolCall.arguments } }],
					}
				: { role: 'assistant', content: turn.text };
		return {
			id: `chatcmpl-${id}`,
			object: 'chat.completion',
			created,
			model,
			choices: [{ index: 0, message, logprobs: null, finish_reason: 'toolCall' in turn ? 'tool_calls' : 'stop' }],
			usage: { prompt_tokens: USAGE.prompt, completion_tokens: USAGE.completion, total_tokens: USAGE.prompt + USAGE.completion },
		};
	}
	const output =
		'toolCall' in turn
			? [
					{
						type: 'function_call',
						id: `fc_${id}`,
						call_id: turn.toolCall.id,
						name: turn.toolCall.name,
						arguments: turn.toolCall.arguments,
						status: 'completed',
					},
				]
			: [
					{
						type: 'message',
						id: `msg_${id}`,
						role: 'assistant',
						status: 'completed',
						content: [{ type: 'output_text', text: turn.text, annotations: [] }],
					},
				];
	return {
		id: `resp_${id}`,
		object: 'response',
		created_at: created,
		status: 'completed',
		error: null,
		incomplete_details: null,
		model,
		output,
		parallel_tool_calls: true,
		tool_choice: 'auto',
		tools: [],
		text: { format: { type: 'text' } },
		usage: {
			input_tokens: USAGE.prompt,
			input_tokens_details: { cached_tokens: 0 },
			output_tokens: USAGE.completion,
			output_tokens_details: { reasoning_tokens: 0 },
			total_tokens: USAGE.prompt + USAGE.completion,
		},
	};
}
