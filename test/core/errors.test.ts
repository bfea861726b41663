import {
  ConflictError,
  IllegalTransitionError,
  NotFoundError,
  TrellisError,
  ValidationError,
  formatIssue,
  httpStatusOf,
} from '../../src/runtime/core/errors';

class TeapotError extends TrellisError {
  readonly code = 'teapot';
}

describe('httpStatusOf', () => {
  test.each<[string, unknown, number]>([
    ['ValidationError', new ValidationError([{ path: 'a', message: 'b' }]), 400],
    ['NotFoundError', new NotFoundError('no such deployment'), 404],
    ['ConflictError', new ConflictError('lost the race'), 409],
    ['IllegalTransitionError', new IllegalTransitionError('d1', 'succeeded', 'running'), 409],
    ['a plain Error', new Error('boom'), 500],
    ['a TypeError', new TypeError('x is undefined'), 500],
    ['a TrellisError with an unmapped code', new TeapotError('short and stout'), 500],
    ['a string', 'not_found', 500],
    ['an object that looks like an error', { code: 'not_found', message: 'x' }, 500],
    ['undefined', undefined, 500],
    ['null', null, 500],
  ])('%s -> %i', (_label, error, status) => {
    expect(httpStatusOf(error)).toBe(status);
  });
});

describe('ValidationError', () => {
  test('joins its issues as "path: message", one per line, and keeps them', () => {
    const issues = [
      { path: 'applications[0].name', message: "'Shop' must be lowercase" },
      { path: 'applications[0].environments[1].region', message: "'mars-1' is not an AWS region" },
    ];
    const error = new ValidationError(issues);
    expect(error.message).toBe(
      "applications[0].name: 'Shop' must be lowercase\n" +
      "applications[0].environments[1].region: 'mars-1' is not an AWS region",
    );
    expect(error.issues).toEqual(issues);
    expect(error.code).toBe('invalid_input');
  });

  test('a single issue has no trailing newline', () => {
    expect(new ValidationError([{ path: 'x', message: 'y' }]).message).toBe('x: y');
  });

  test('formatIssue is the same format', () => {
    expect(formatIssue({ path: 'environment.branch', message: 'is empty' })).toBe('environment.branch: is empty');
  });
});

describe('error classes', () => {
  test('are real Errors with the class name and a code', () => {
    const cases: Array<[TrellisError, string, string]> = [
      [new ValidationError([]), 'ValidationError', 'invalid_input'],
      [new NotFoundError('gone'), 'NotFoundError', 'not_found'],
      [new ConflictError('race'), 'ConflictError', 'conflict'],
      [new IllegalTransitionError('d1', 'queued', 'succeeded'), 'IllegalTransitionError', 'conflict'],
    ];
    for (const [error, name, code] of cases) {
      expect(error).toBeInstanceOf(Error);
      expect(error).toBeInstanceOf(TrellisError);
      expect(error.name).toBe(name);
      expect(error.code).toBe(code);
      expect(String(error)).toContain(name);
    }
  });

  test('IllegalTransitionError is a ConflictError and explains the move', () => {
    const error = new IllegalTransitionError('20261123T121310123Z-1a2b3c4d', 'succeeded', 'running');
    expect(error).toBeInstanceOf(ConflictError);
    expect(error.message).toBe('deployment 20261123T121310123Z-1a2b3c4d cannot move from succeeded to running');
    expect(error.deploymentId).toBe('20261123T121310123Z-1a2b3c4d');
    expect(error.from).toBe('succeeded');
    expect(error.to).toBe('running');
  });

  test('IllegalTransitionError for an unknown deployment says nowhere', () => {
    const error = new IllegalTransitionError('d9', undefined, 'running');
    expect(error.message).toBe('deployment d9 cannot move from nowhere to running');
  });

  test('NotFoundError is not a ConflictError', () => {
    expect(new NotFoundError('x')).not.toBeInstanceOf(ConflictError);
  });
});
