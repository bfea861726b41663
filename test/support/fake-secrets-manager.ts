import { Server, createServer } from 'http';
import { AddressInfo } from 'net';
import { readBody } from '../../src/local/dashboard-server';

/**
 * Secrets Manager's GetSecretValue over HTTP for handlers loaded as Lambda loads them (point
 * AWS_ENDPOINT_URL_SECRETS_MANAGER at `url`): a secret by name or ARN, else
 * ResourceNotFoundException. The one AWS service these tests cannot run.
 */
export async function startFakeSecretsManager(secrets: Readonly<Record<string, string>>): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((request, response) => void (async () => {
    const { SecretId } = JSON.parse((await readBody(request))!.toString('utf8')) as { SecretId: string };
    const found = Object.prototype.hasOwnProperty.call(secrets, SecretId);
    response.writeHead(found ? 200 : 400, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify(found
      ? { ARN: `arn:aws:secretsmanager:eu-west-1:111122223333:secret:${SecretId}-AbCdEf`, Name: SecretId, SecretString: secrets[SecretId] }
      : { __type: 'ResourceNotFoundException', message: 'Secrets Manager can\'t find the specified secret.' }));
  })());
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise(resolve => server.close(() => resolve())),
  };
}
