import { BatchGetBuildsCommand, CodeBuildClient, StartBuildCommand } from '@aws-sdk/client-codebuild';
import { BuildView, ImageBuildCodeBuild, imageBuildComplete, startImageBuild } from '../../src/runtime/image-build/image-build';
import { codeBuildApi } from '../../src/runtime/image-build/image-build-client';

const REPOSITORY_URI = '111122223333.dkr.ecr.eu-west-1.amazonaws.com/trellis-builder-abc';
const HASH = 'a'.repeat(64);
const PROPERTIES = { ServiceToken: 'arn:aws:lambda:eu-west-1:111122223333:function:provider', ProjectName: 'ImageBuildProject-x1', RepositoryUri: REPOSITORY_URI, ImageTag: HASH };

/** CodeBuild as far as the custom resource sees it: builds it started, and what BatchGetBuilds answers. */
class FakeCodeBuild implements ImageBuildCodeBuild {
  public readonly started: Array<Parameters<ImageBuildCodeBuild['startBuild']>[0]> = [];
  public readonly builds = new Map<string, BuildView>();
  public nextId = 1;

  async startBuild(input: Parameters<ImageBuildCodeBuild['startBuild']>[0]): ReturnType<ImageBuildCodeBuild['startBuild']> {
    this.started.push(input);
    const id = `${input.projectName}:build-${this.nextId++}`;
    this.builds.set(id, { id, buildStatus: 'IN_PROGRESS' });
    return { build: { id } };
  }

  async batchGetBuilds(input: { ids: string[] }) {
    const builds = input.ids.flatMap(id => (this.builds.has(id) ? [this.builds.get(id)!] : []));
    return { builds, buildsNotFound: input.ids.filter(id => !this.builds.has(id)) };
  }
}

function event(requestType: 'Create' | 'Update' | 'Delete', properties: Record<string, unknown> = PROPERTIES, physicalResourceId?: string) {
  return { RequestType: requestType, ResourceProperties: properties, PhysicalResourceId: physicalResourceId };
}

/** The event the Provider framework gives isComplete: the request plus what onEvent returned. */
async function startedEvent(codebuild: FakeCodeBuild, requestType: 'Create' | 'Update' = 'Create') {
  const started = await startImageBuild(event(requestType, PROPERTIES, requestType === 'Update' ? `${REPOSITORY_URI}:${'b'.repeat(64)}` : undefined), codebuild);
  return { ...event(requestType), ...started };
}

describe('image build custom resource: onEvent', () => {
  test.each(['Create', 'Update'] as const)('%s starts one build of the project with the tag, and names the image by repository and tag', async requestType => {
    const codebuild = new FakeCodeBuild();
    const result = await startImageBuild(event(requestType, PROPERTIES, requestType === 'Update' ? `${REPOSITORY_URI}:old` : undefined), codebuild);
    expect(codebuild.started).toEqual([{
      projectName: 'ImageBuildProject-x1',
      environmentVariablesOverride: [{ name: 'IMAGE_TAG', value: HASH, type: 'PLAINTEXT' }],
    }]);
    expect(result).toEqual({
      PhysicalResourceId: `${REPOSITORY_URI}:${HASH}`,
      Data: { ImageUri: `${REPOSITORY_URI}:${HASH}`, BuildId: 'ImageBuildProject-x1:build-1' },
    });
  });

  test('Delete starts nothing and keeps the physical id (the repository goes with the stack)', async () => {
    const codebuild = new FakeCodeBuild();
    expect(await startImageBuild(event('Delete', PROPERTIES, `${REPOSITORY_URI}:${HASH}`), codebuild)).toEqual({ PhysicalResourceId: `${REPOSITORY_URI}:${HASH}` });
    expect(codebuild.started).toEqual([]);
  });

  test.each([
    ['ImageTag', { ImageTag: 'has space' }],
    ['ImageTag', { ImageTag: '-dash' }],
    ['ImageTag', { ImageTag: undefined }],
    ['RepositoryUri', { RepositoryUri: 'not a uri; rm -rf /' }],
    ['RepositoryUri', { RepositoryUri: 42 }],
    ['ProjectName', { ProjectName: '' }],
    ['ProjectName', { ProjectName: 'a/b' }],
  ])('a bad %s is refused by name before any build starts (%j)', async (name, change) => {
    const codebuild = new FakeCodeBuild();
    await expect(startImageBuild(event('Create', { ...PROPERTIES, ...change }), codebuild)).rejects.toThrow(new RegExp(`property ${name} .* is not valid`));
    expect(codebuild.started).toEqual([]);
  });

  test('CodeBuild returning no build id fails the request', async () => {
    const codebuild = new FakeCodeBuild();
    codebuild.startBuild = async () => ({ build: {} });
    await expect(startImageBuild(event('Create'), codebuild)).rejects.toThrow('CodeBuild started no build of project ImageBuildProject-x1');
  });
});

describe('image build custom resource: isComplete', () => {
  test('not complete while the build runs; complete when it succeeded', async () => {
    const codebuild = new FakeCodeBuild();
    const waiting = await startedEvent(codebuild);
    const buildId = waiting.Data!.BuildId!;
    expect(await imageBuildComplete(waiting, codebuild)).toEqual({ IsComplete: false });
    codebuild.builds.set(buildId, { id: buildId }); // queued: no status yet
    expect(await imageBuildComplete(waiting, codebuild)).toEqual({ IsComplete: false });
    codebuild.builds.set(buildId, { id: buildId, buildStatus: 'SUCCEEDED' });
    expect(await imageBuildComplete(waiting, codebuild)).toEqual({ IsComplete: true });
    // An update waits for its own build the same way.
    const update = await startedEvent(codebuild, 'Update');
    expect(update.Data!.BuildId).not.toBe(buildId);
    expect(await imageBuildComplete(update, codebuild)).toEqual({ IsComplete: false });
  });

  test.each([
    ['FAILED', 'BUILD', 'COMMAND_EXECUTION_ERROR', 'Error while executing command: docker build. Reason: exit status 1'],
    ['FAULT', 'PROVISIONING', 'CLIENT_ERROR', 'Insufficient capacity'],
    ['TIMED_OUT', 'BUILD', 'BUILD_TIMED_OUT', 'Build has timed out.'],
    ['STOPPED', 'BUILD', undefined, undefined],
  ])('a build that ended %s fails the deployment with its phase, reason and log link', async (status, phase, code, message) => {
    const codebuild = new FakeCodeBuild();
    const waiting = await startedEvent(codebuild);
    const buildId = waiting.Data!.BuildId!;
    const deepLink = `https://console.aws.amazon.com/cloudwatch/home?region=eu-west-1#logEvent:group=builds;stream=${buildId}`;
    codebuild.builds.set(buildId, {
      id: buildId,
      buildStatus: status,
      phases: [
        { phaseType: 'SUBMITTED', phaseStatus: 'SUCCEEDED' },
        { phaseType: phase, phaseStatus: status, contexts: code ? [{ statusCode: code, message }] : [] },
        { phaseType: 'FINALIZING', phaseStatus: 'SUCCEEDED' },
        { phaseType: 'COMPLETED' },
      ],
      logs: { deepLink },
    });
    const failure = imageBuildComplete(waiting, codebuild);
    await expect(failure).rejects.toThrow(`The builder image build ${buildId} ${status} in phase ${phase}`);
    await expect(imageBuildComplete(waiting, codebuild)).rejects.toThrow(`Logs: ${deepLink}`);
    if (message) await expect(imageBuildComplete(waiting, codebuild)).rejects.toThrow(`${code}: ${message}`);
  });

  test('a very long failure message is cut, and the log link still ends the reason', async () => {
    const codebuild = new FakeCodeBuild();
    const waiting = await startedEvent(codebuild);
    const buildId = waiting.Data!.BuildId!;
    codebuild.builds.set(buildId, {
      id: buildId,
      buildStatus: 'FAILED',
      phases: [{ phaseType: 'BUILD', phaseStatus: 'FAILED', contexts: [{ message: 'x'.repeat(10_000) }] }],
      logs: { deepLink: 'https://logs.example/build' },
    });
    const error: Error = await imageBuildComplete(waiting, codebuild).then(() => { throw new Error('resolved'); }, e => e);
    expect(error.message.length).toBeLessThan(2000);
    expect(error.message).toMatch(/x\.\.\.\. Logs: https:\/\/logs\.example\/build$/);
  });

  test('a build CodeBuild does not know, or no build id at all, fails instead of waiting forever', async () => {
    const codebuild = new FakeCodeBuild();
    const missing = { ...event('Create'), PhysicalResourceId: `${REPOSITORY_URI}:${HASH}`, Data: { ImageUri: `${REPOSITORY_URI}:${HASH}`, BuildId: 'ImageBuildProject-x1:gone' } };
    await expect(imageBuildComplete(missing, codebuild)).rejects.toThrow('The builder image build ImageBuildProject-x1:gone was not found in CodeBuild');
    await expect(imageBuildComplete({ ...missing, Data: {} }, codebuild)).rejects.toThrow('has no build id');
  });

  test('Delete is complete at once and asks CodeBuild nothing', async () => {
    const codebuild = new FakeCodeBuild();
    codebuild.batchGetBuilds = async () => { throw new Error('must not be called'); };
    expect(await imageBuildComplete(event('Delete', PROPERTIES, `${REPOSITORY_URI}:${HASH}`), codebuild)).toEqual({ IsComplete: true });
  });
});

describe('image build custom resource: the SDK adapter', () => {
  test('sends StartBuild and BatchGetBuilds with the inputs as given, and returns the answers', async () => {
    const sent: unknown[] = [];
    const client = {
      send: async (command: unknown) => {
        sent.push(command);
        return command instanceof StartBuildCommand ? { build: { id: 'p:1' } } : { builds: [{ id: 'p:1', buildStatus: 'SUCCEEDED' }] };
      },
    } as unknown as CodeBuildClient;
    const api = codeBuildApi(client);
    const start = { projectName: 'p', environmentVariablesOverride: [{ name: 'IMAGE_TAG', value: HASH, type: 'PLAINTEXT' as const }] };
    expect(await api.startBuild(start)).toEqual({ build: { id: 'p:1' } });
    expect(await api.batchGetBuilds({ ids: ['p:1'] })).toEqual({ builds: [{ id: 'p:1', buildStatus: 'SUCCEEDED' }] });
    expect(sent[0]).toBeInstanceOf(StartBuildCommand);
    expect((sent[0] as StartBuildCommand).input).toEqual(start);
    expect(sent[1]).toBeInstanceOf(BatchGetBuildsCommand);
    expect((sent[1] as BatchGetBuildsCommand).input).toEqual({ ids: ['p:1'] });
  });
});
