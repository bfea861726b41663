import { StartedTask, TaskRequest } from '../../../src/runtime/core';
import { FakeTaskRunner } from '../../deployments/fake-task-runner';

/**
 * The fake ECS runner, with a hook that runs inside RunTask before it answers: a test can hold
 * the call open (the lock is taken, the deployment marked running) and decide how it ends.
 */
export class GatedTaskRunner extends FakeTaskRunner {
  /** Called with each request while RunTask is in flight; may throw (RunTask fails) or wait. */
  duringRun?: (request: TaskRequest) => Promise<void>;

  async run(request: TaskRequest): Promise<StartedTask> {
    const hook = this.duringRun;
    if (hook) await hook(request);
    return super.run(request);
  }
}

/** A promise with its resolve and reject outside, to open or fail a gate from the test. */
export function gate(): { promise: Promise<void>; open: () => void; fail: (error: Error) => void } {
  let open!: () => void;
  let fail!: (error: Error) => void;
  const promise = new Promise<void>((resolve, reject) => { open = resolve; fail = reject; });
  return { promise, open, fail };
}
