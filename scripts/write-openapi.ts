// Writes openapi/openapi.json from the route definitions (npm run openapi). CI fails on drift.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildOpenApiDocument, serializeOpenApiDocument } from '../src/http/openapi-document.js';
import { packageRoot } from '../src/package-root.js';

const path = join(packageRoot(), 'openapi', 'openapi.json');
writeFileSync(path, serializeOpenApiDocument(buildOpenApiDocument()));
process.stdout.write(`wrote ${path}\n`);
