/**
 * Per-prompt directives: tags inside the prompt text that steer how the test server answers
 * that one request, so that a workflow can make individual items fail without test code.
 *
 * Grammar (tags may appear anywhere in the prompt, several per prompt, other text is ignored):
 *
 *   directive := "[" name [ ":" number ] [ "x" count ] "]"
 *   name      := status | reset | hang | delay | moderation | contentfilter | quota
 *              | html502 | plaintext500 | retry-after | retry-after-ms | retry-after-date
 *
 *   [status:500]        answer HTTP 500 with the route's/flavor's usual error body, every attempt
 *   [status:429x2]      answer 429 for the first 2 attempts with this exact prompt, then normally
 *   [reset] [resetx1]   destroy the socket before sending any byte (every attempt / first attempt)
 *   [hang] [hangx1]     never answer (until the client gives up or the server closes)
 *   [delay:300]         wait 300 ms before answering (whatever the answer is); [delay:300x1] first attempt only
 *   [moderation]        safety block after validation: GPT image 400 image_generation_user_error /
 *                       moderation_blocked; DALL-E 400 content_policy_violation
 *   [contentfilter]     Azure routes: 400 code contentFilter + innererror ResponsibleAIPolicyViolation;
 *                       other routes behave like [moderation]
 *   [quota]             429 with type/code insufficient_quota
 *   [html502]           502 with an nginx-style HTML page (content-type text/html)
 *   [plaintext500]      500 with a text/plain body
 *   [retry-after:2]     on an error answer, add `retry-after: 2` (seconds)
 *   [retry-after-ms:150] on an error answer, add `retry-after-ms: 150`
 *   [retry-after-date]  on an error answer, add `retry-after: <HTTP date>`, 1 s ahead
 *                       ([retry-after-date:3] -> 3 s ahead)
 *
 * Streamed answers (`stream: true`) only:
 *   [event-gap:400]     wait 400 ms before each event (the headers go out at once)
 *   [stream-stall:1]    after 1 event, send nothing more (the socket stays open)
 *   [stream-error:1]    after 1 event, send an `error` event and end the stream
 *   [stream-end:1]      after 1 event, end the stream cleanly, without a completed event
 *   [stream-ping:1]     after 1 event, send only `: keep-alive` comment lines, every [event-gap]
 *                       (at least 100 ms), until the client goes (a relay whose upstream died)
 *   [stream-note]       first a comment line and an event of a type the reference does not name
 *   [stream-reset:1]    after 1 event, destroy the socket: no closing chunk (a relay closing early)
 *   [stream-url]        completed events carry a `url` of the image (served by this server) and no b64_json
 *   [stream-untyped]    event payloads without `type`: the type only on the SSE `event:` line
 *
 * "xN" counts attempts per exact prompt string (the server's per-prompt counter, cleared by
 * reset()); without it a directive fires on every attempt. The retry-after tags take no count.
 * When several answer-directives fire at once the first of reset, hang, html502, plaintext500,
 * quota, status, moderation/contentfilter wins. The tags stay in the prompt (they count towards
 * its length and appear in revised_prompt).
 */

export type DirectiveName =
	| 'status'
	| 'reset'
	| 'hang'
	| 'delay'
	| 'moderation'
	| 'contentfilter'
	| 'quota'
	| 'html502'
	| 'plaintext500'
	| 'retry-after'
	| 'retry-after-ms'
	| 'retry-after-date'
	| 'event-gap'
	| 'stream-stall'
	| 'stream-error'
	| 'stream-end'
	| 'stream-ping'
	| 'stream-note'
	| 'stream-reset'
	| 'stream-url'
	| 'stream-untyped';

export interface Directive {
	name: DirectiveName;
	arg?: number;
	/** Fires for attempts 1..count; undefined = every attempt. */
	count?: number;
}

const DIRECTIVE_RE =
	/\[(status|reset|hang|delay|moderation|contentfilter|quota|html502|plaintext500|retry-after-ms|retry-after-date|retry-after|event-gap|stream-stall|stream-error|stream-end|stream-ping|stream-note|stream-reset|stream-url|stream-untyped)(?::(\d+(?:\.\d+)?))?(?:x(\d+))?\]/g;

export function parseDirectives(prompt: string): Directive[] {
	const out: Directive[] = [];
	for (const m of prompt.matchAll(DIRECTIVE_RE)) {
		const d: Directive = { name: m[1] as DirectiveName };
		if (m[2] !== undefined) d.arg = Number(m[2]);
		if (m[3] !== undefined) d.count = Number(m[3]);
		out.push(d);
	}
	return out;
}

export type PlannedAnswer =
	| { kind: 'reset' }
	| { kind: 'hang' }
	| { kind: 'html502' }
	| { kind: 'plaintext500' }
	| { kind: 'quota' }
	| { kind: 'status'; status: number };

export interface DirectivePlan {
	/** Extra delay before answering. */
	delayMs: number;
	/** Answer decided before validation (undefined = go on normally). */
	answer?: PlannedAnswer;
	/** Safety block after validation. */
	moderation?: 'moderation' | 'contentfilter';
	/** Wait-hint headers to add to an error answer. */
	retryHeaders: Record<string, string>;
	/** How a streamed answer misbehaves: a wait before each event, and what happens after N events. */
	stream: { gapMs: number; after?: { events: number; then: 'stall' | 'error' | 'end' | 'ping' | 'reset' }; note?: boolean; url?: boolean; untyped?: boolean };
}

/** What the directives of a prompt ask for on its `attempt`-th request (1-based). */
export function planDirectives(directives: Directive[], attempt: number, now = Date.now()): DirectivePlan {
	const plan: DirectivePlan = { delayMs: 0, retryHeaders: {}, stream: { gapMs: 0 } };
	const active = directives.filter((d) => d.count === undefined || attempt <= d.count);
	const has = (name: DirectiveName) => active.find((d) => d.name === name);
	for (const d of active) if (d.name === 'delay') plan.delayMs += d.arg ?? 0;

	const status = has('status');
	if (has('reset')) plan.answer = { kind: 'reset' };
	else if (has('hang')) plan.answer = { kind: 'hang' };
	else if (has('html502')) plan.answer = { kind: 'html502' };
	else if (has('plaintext500')) plan.answer = { kind: 'plaintext500' };
	else if (has('quota')) plan.answer = { kind: 'quota' };
	else if (status && status.arg !== undefined) plan.answer = { kind: 'status', status: Math.trunc(status.arg) };

	plan.stream.gapMs = has('event-gap')?.arg ?? 0;
	plan.stream.note = Boolean(has('stream-note'));
	plan.stream.url = Boolean(has('stream-url'));
	plan.stream.untyped = Boolean(has('stream-untyped'));
	for (const then of ['stall', 'error', 'end', 'ping', 'reset'] as const) {
		const directive = has(`stream-${then}`);
		if (directive && !plan.stream.after) plan.stream.after = { events: Math.trunc(directive.arg ?? 0), then };
	}

	if (has('moderation')) plan.moderation = 'moderation';
	else if (has('contentfilter')) plan.moderation = 'contentfilter';

	// Wait hints never take a count: they describe the error answers of this prompt.
	for (const d of directives) {
		if (d.name === 'retry-after' && d.arg !== undefined) plan.retryHeaders['retry-after'] = String(d.arg);
		if (d.name === 'retry-after-ms' && d.arg !== undefined) plan.retryHeaders['retry-after-ms'] = String(d.arg);
		if (d.name === 'retry-after-date') {
			plan.retryHeaders['retry-after'] = new Date(now + (d.arg ?? 1) * 1000).toUTCString();
		}
	}
	return plan;
}
