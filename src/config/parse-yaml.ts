import { createRequire } from 'node:module';
import type * as Yaml from 'yaml';

let yaml: typeof Yaml | undefined;

/**
 * yaml's parse, loaded on first use: most daemons read no YAML file (no policy or chatops file, or
 * JSON ones), and loading it at start cost ~15 ms of start-up and ~2 MiB (bench/results/results.md).
 * A synchronous require, so the file loaders stay synchronous.
 */
export function parseYaml(text: string, options: Yaml.ParseOptions & Yaml.DocumentOptions & Yaml.SchemaOptions & Yaml.ToJSOptions): unknown {
  yaml ??= createRequire(import.meta.url)('yaml') as typeof Yaml;
  return yaml.parse(text, options);
}
