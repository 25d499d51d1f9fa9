import type { Policy } from './policy.js';
import { builtInPolicy } from './policy.js';
import { type LoadResult, loadPolicyFile } from './load-policy.js';

export class PolicyError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid policy:\n  - ${problems.join('\n  - ')}`);
    this.name = 'PolicyError';
  }
}

/**
 * The policy in force. Loaded once at start (an invalid file stops the daemon, listing every
 * problem); reload() swaps in a new one only when it is valid, so a bad edit never opens or closes
 * the door by accident.
 */
export class PolicyHolder {
  private policy: Policy;

  constructor(
    private readonly path: string | null,
    private readonly defaultImage: string,
  ) {
    const loaded = this.load();
    if (!loaded.policy) throw new PolicyError(loaded.problems);
    this.policy = loaded.policy;
  }

  current(): Policy {
    return this.policy;
  }

  /** Re-reads the file. On problems the old policy stays in force and the problems are returned. */
  reload(): LoadResult {
    const loaded = this.load();
    if (loaded.policy) this.policy = loaded.policy;
    return loaded;
  }

  private load(): LoadResult {
    if (this.path === null) return { policy: builtInPolicy(this.defaultImage), problems: [] };
    return loadPolicyFile(this.path, this.defaultImage);
  }
}
