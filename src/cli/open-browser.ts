import { execFile } from 'child_process';

/**
 * Opens `url` in the system's browser, without a shell (the URL is one argument, never parsed
 * as a command line). Failing to open it is not an error: the URL is printed for the person.
 * Windows: rundll32's URL handler, since `start` is a cmd.exe built-in and cmd would read `&`.
 */
export function openInBrowser(url: string, platform: NodeJS.Platform = process.platform): void {
  const [command, args] = platform === 'darwin' ? ['open', [url]]
    : platform === 'win32' ? ['rundll32', ['url.dll,FileProtocolHandler', url]]
      : ['xdg-open', [url]];
  try {
    const child = execFile(command, args, { windowsHide: true }, () => undefined);
    child.on('error', () => undefined);
    child.unref();
  } catch {
    // No browser here (a server, a container): the printed URL is the way.
  }
}
