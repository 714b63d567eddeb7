import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// n8n-core writes its config under N8N_USER_FOLDER on first use: keep it out of $HOME.
process.env.N8N_USER_FOLDER ??= mkdtempSync(join(tmpdir(), 'n8n-create-image-test-'));
process.env.N8N_LOG_LEVEL ??= 'silent';
