/**
 * The Files API of the test server (openai 7.59.0 `resources/files.d.ts`): uploads, retrieve,
 * list, delete and content. File bodies live on disk in one temporary folder per server
 * (os.tmpdir()/image-server-files-XXXX, removed by close()), never as copies in memory: content is
 * streamed from disk, and batch output files are written to disk line by line (FileWriter), so a
 * 600 MB output file costs the server a write stream's buffer, not 600 MB.
 */
import { createReadStream, createWriteStream, mkdtempSync, rmSync, type ReadStream, type WriteStream } from 'node:fs';
import { readFile, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

/** FilePurpose of openai 7.59.0 (what an upload may name). */
export const UPLOAD_PURPOSES = ['assistants', 'batch', 'fine-tune', 'vision', 'user_data', 'evals'] as const;
/** Files API upload limit (images-api.md, "Batch API": uploads go up to 512 MB). */
export const MAX_UPLOAD_BYTES = 512 * 1024 * 1024;
/** `purpose=batch` files expire after 30 days unless `expires_after` says otherwise (images-api.md). */
const BATCH_FILE_TTL_SECONDS = 30 * 24 * 3600;

/** A file of the Files API as the server keeps it: the FileObject fields plus where it came from. */
export interface StoredApiFile {
	id: string;
	object: 'file';
	bytes: number;
	/** Unix seconds (server clock). */
	created_at: number;
	filename: string;
	purpose: string;
	status: 'uploaded' | 'processed' | 'error';
	expires_at?: number;
	/** True once DELETE /v1/files/{id} (or the test) deleted it; its bytes are gone from disk then. */
	deleted: boolean;
	/** 'upload': POST /v1/files; 'batch_output' / 'batch_error': written by a batch. */
	origin: 'upload' | 'batch_output' | 'batch_error';
	/** Where the bytes are on disk (while not deleted). */
	path: string;
}

/** The FileObject answer for a stored file (only the documented fields). */
export function fileObject(file: StoredApiFile): Record<string, unknown> {
	const { id, object, bytes, created_at, filename, purpose, status, expires_at } = file;
	return { id, object, bytes, created_at, filename, purpose, status, ...(expires_at !== undefined ? { expires_at } : {}), status_details: null };
}

/** Lines written to disk one at a time; finish() closes the file and returns its record. */
export interface FileWriter {
	/** Appends text; resolves when the stream can take more (back-pressure). */
	write(text: string): Promise<void>;
	/** Bytes written so far. */
	readonly bytes: number;
	finish(): Promise<StoredApiFile>;
	/** Closes and removes the file without registering it. */
	abort(): Promise<void>;
}

export class FileStore {
	/** Every file ever created since the last clear(), in creation order, deleted ones included. */
	readonly all: StoredApiFile[] = [];
	private readonly byId = new Map<string, StoredApiFile>();
	private dir?: string;

	constructor(private readonly nowSeconds: () => number) {}

	private folder(): string {
		this.dir ??= mkdtempSync(join(tmpdir(), 'image-server-files-'));
		return this.dir;
	}

	private record(meta: { filename: string; purpose: string; origin: StoredApiFile['origin']; expiresAfterSeconds?: number }, bytes: number, path: string, id: string): StoredApiFile {
		const created = this.nowSeconds();
		const ttl = meta.expiresAfterSeconds ?? (meta.purpose === 'batch' ? BATCH_FILE_TTL_SECONDS : undefined);
		const file: StoredApiFile = {
			id,
			object: 'file',
			bytes,
			created_at: created,
			filename: meta.filename,
			purpose: meta.purpose,
			status: 'processed',
			...(ttl !== undefined ? { expires_at: created + ttl } : {}),
			deleted: false,
			origin: meta.origin,
			path,
		};
		this.all.push(file);
		this.byId.set(id, file);
		return file;
	}

	/** Stores an upload (its bytes go to disk); returns its record. */
	async add(data: Buffer, meta: { filename: string; purpose: string; origin?: StoredApiFile['origin']; expiresAfterSeconds?: number }): Promise<StoredApiFile> {
		const id = `file-${randomBytes(12).toString('hex')}`;
		const path = join(this.folder(), id);
		await writeFile(path, data);
		return this.record({ ...meta, origin: meta.origin ?? 'upload' }, data.length, path, id);
	}

	/** A file being written line by line (batch output and error files). */
	writer(meta: { filename: string; purpose: string; origin: StoredApiFile['origin']; expiresAfterSeconds?: number }): FileWriter {
		const id = `file-${randomBytes(12).toString('hex')}`;
		const path = join(this.folder(), id);
		const stream: WriteStream = createWriteStream(path);
		let failure: Error | undefined;
		// A folder removed under it (reset() during a batch) must not crash the server.
		stream.on('error', (error) => (failure ??= error));
		let bytes = 0;
		const closed = () =>
			new Promise<void>((resolve, reject) => {
				if (failure || stream.destroyed) return failure ? reject(failure) : resolve();
				stream.end(() => (failure ? reject(failure) : resolve()));
			});
		return {
			get bytes() {
				return bytes;
			},
			write: (text: string) => {
				bytes += Buffer.byteLength(text);
				if (failure || stream.destroyed) return Promise.reject(failure ?? new Error('file closed'));
				if (stream.write(text)) return Promise.resolve();
				return new Promise<void>((resolve) => {
					const done = () => {
						stream.off('drain', done);
						stream.off('close', done);
						resolve();
					};
					stream.once('drain', done);
					stream.once('close', done);
				});
			},
			finish: async () => {
				await closed();
				return this.record(meta, bytes, path, id);
			},
			abort: async () => {
				await closed();
				await unlink(path).catch(() => undefined);
			},
		};
	}

	/** The live (not deleted) file with this id. */
	get(id: string): StoredApiFile | undefined {
		const file = this.byId.get(id);
		return file && !file.deleted ? file : undefined;
	}

	/** The whole content of a live file (for small files: image inputs, tests). Throws when unknown. */
	async read(id: string): Promise<Buffer> {
		const file = this.get(id);
		if (!file) throw new Error(`no such file ${id}`);
		return await readFile(file.path);
	}

	/** A read stream of a live file's bytes. */
	stream(id: string): ReadStream | undefined {
		const file = this.get(id);
		return file ? createReadStream(file.path, { highWaterMark: 1024 * 1024 }) : undefined;
	}

	/** Marks a file deleted and removes its bytes; false when there is no live file with that id. */
	async delete(id: string): Promise<boolean> {
		const file = this.get(id);
		if (!file) return false;
		file.deleted = true;
		await unlink(file.path).catch(() => undefined);
		return true;
	}

	/** Forgets every file and removes the folder. */
	clear(): void {
		this.all.length = 0;
		this.byId.clear();
		if (this.dir) rmSync(this.dir, { recursive: true, force: true });
		this.dir = undefined;
	}
}
