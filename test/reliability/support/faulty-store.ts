import { DeploymentStore, Store } from '../../../src/runtime/core';

type DeploymentMethod = keyof DeploymentStore;

interface Fault {
  readonly method: DeploymentMethod;
  readonly when: (args: unknown[]) => boolean;
  /** Thrown instead of the call, or ... */
  readonly error?: Error;
  /** ... waited for before the call goes through (a slow write that others overtake). */
  readonly hold?: Promise<void>;
  remaining: number;
}

/**
 * The real store with faults injected into its deployment repository: a chosen call throws
 * (as DynamoDB does when it is unreachable or throttles) instead of being sent, so nothing
 * of it is written. Everything else goes through untouched.
 */
export class FaultyStore {
  readonly store: Store;
  private readonly faults: Fault[] = [];
  /** Calls that were refused, as `method(args)`, for messages. */
  readonly injected: string[] = [];

  constructor(inner: Store) {
    const deployments = inner.deployments;
    const wrap = <M extends DeploymentMethod>(method: M) => (async (...args: unknown[]) => {
      const fault = this.faults.find(candidate => candidate.method === method && candidate.remaining > 0 && candidate.when(args));
      if (fault) {
        fault.remaining--;
        this.injected.push(`${method}(${args.map(arg => JSON.stringify(arg)).join(', ')})`);
        if (fault.error) throw fault.error;
        await fault.hold;
      }
      return (deployments[method] as (...a: unknown[]) => Promise<unknown>).apply(deployments, args);
    }) as DeploymentStore[M];
    this.store = {
      ...inner,
      deployments: {
        create: wrap('create'),
        get: wrap('get'),
        listByEnvironment: wrap('listByEnvironment'),
        transition: wrap('transition'),
        attachTask: wrap('attachTask'),
        logBinding: wrap('logBinding'),
        ingestToken: wrap('ingestToken'),
        keepGitHubDeployment: wrap('keepGitHubDeployment'),
        claimEnvironment: wrap('claimEnvironment'),
        releaseEnvironment: wrap('releaseEnvironment'),
      },
    };
  }

  /** The next `times` calls of `method` whose arguments match `when` throw `error`. */
  failNext(method: DeploymentMethod, when: (args: unknown[]) => boolean = () => true, times = 1, error = unreachable()): void {
    this.faults.push({ method, when, error, remaining: times });
  }

  /** The next call of `method` whose arguments match `when` waits for `until` before it is sent. */
  holdNext(method: DeploymentMethod, when: (args: unknown[]) => boolean, until: Promise<void>): void {
    this.faults.push({ method, when, hold: until, remaining: 1 });
  }
}

/** What the SDK throws when the endpoint refuses the connection. */
export function unreachable(): Error {
  return Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8000'), { code: 'ECONNREFUSED', name: 'Error' });
}
