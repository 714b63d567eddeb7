/** A small multipart/form-data parser for the test server (RFC 7578), independent of the node's encoder. */

export interface FormFile {
	name: string;
	fileName: string;
	contentType: string;
	data: Buffer;
}

export interface ParsedForm {
	/** Text fields in arrival order (a repeated name appears several times). */
	fields: Array<[string, string]>;
	files: FormFile[];
}

/** The boundary of a multipart/form-data Content-Type, or undefined when it is something else. */
export function multipartBoundary(contentType: string | undefined): string | undefined {
	if (!contentType || !/^multipart\/form-data\s*;/i.test(contentType)) return undefined;
	const match = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
	return match?.[1] ?? match?.[2];
}

function headerParam(header: string, name: string): string | undefined {
	const match = new RegExp(`;\\s*${name}="((?:[^"\\\\]|\\\\.)*)"`, 'i').exec(header) ?? new RegExp(`;\\s*${name}=([^;\\s]+)`, 'i').exec(header);
	return match?.[1];
}

/** Parses a multipart body; throws an Error with a short reason when it is malformed. */
export function parseMultipart(body: Buffer, boundary: string): ParsedForm {
	const delimiter = Buffer.from(`--${boundary}`);
	const form: ParsedForm = { fields: [], files: [] };
	let position = body.indexOf(delimiter);
	if (position < 0) throw new Error('no boundary in the body');
	for (;;) {
		position += delimiter.length;
		if (body.subarray(position, position + 2).toString() === '--') return form;
		if (body.subarray(position, position + 2).toString() !== '\r\n') throw new Error('a boundary is not followed by CRLF');
		position += 2;
		const headerEnd = body.indexOf('\r\n\r\n', position);
		if (headerEnd < 0) throw new Error('a part has no header end');
		const headers = body
			.subarray(position, headerEnd)
			.toString('utf8')
			.split('\r\n')
			.map((line): [string, string] => {
				// Split at the first colon only: a parameter value may hold colons (filename="18:30.png").
				const colon = line.indexOf(':');
				return colon < 0 ? [line, ''] : [line.slice(0, colon), line.slice(colon + 1).trim()];
			});
		const header = (name: string) => headers.find(([key]) => key.toLowerCase() === name)?.[1];
		const next = body.indexOf(Buffer.concat([Buffer.from('\r\n'), delimiter]), headerEnd + 4);
		if (next < 0) throw new Error('a part is not closed by a boundary');
		const content = body.subarray(headerEnd + 4, next);
		const disposition = header('content-disposition') ?? '';
		const name = headerParam(disposition, 'name');
		if (!/^form-data/i.test(disposition) || name === undefined) throw new Error('a part has no form-data name');
		const fileName = headerParam(disposition, 'filename');
		if (fileName !== undefined) {
			form.files.push({ name, fileName, contentType: header('content-type') ?? 'application/octet-stream', data: content });
		} else {
			form.fields.push([name, content.toString('utf8')]);
		}
		position = next + 2;
	}
}
