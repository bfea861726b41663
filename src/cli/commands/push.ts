import { Command } from 'commander';
import { DEFAULT_DATA_DIR, DataDir } from '../../local/data-dir';
import { pushCommit } from '../../local/push';
import { action } from '../command-kit';
import { CliContext } from '../context';
import { EXIT } from '../exit-codes';

/** `trellis push`: commit in a local repository and let the running `trellis local` know, as GitHub would. */
export function registerPushCommand(program: Command, cli: CliContext): void {
  program.command('push')
    .summary('commit and push to a repository `trellis local` serves (local mode)')
    .description('Commit everything in the app\'s local repository (or in a repository the local GitHub stand-in hosts) on <branch> '
      + 'and let the running `trellis local` know, as GitHub would: through the stand-in to the GitHub App\'s webhook once the App '
      + 'is installed on the repository, else as a webhook signed with the installation\'s own secret.')
    .usage('[options] <app | owner/repo> <branch>')
    .argument('<app>', 'an application of the local config, or a repository as owner/repo')
    .argument('<branch>', 'the branch to commit on')
    .option('-m, --message <text>', 'the commit message')
    .option('--data-dir <dir>', 'the running server\'s data directory', DEFAULT_DATA_DIR)
    .addHelpText('after', '\nExamples:\n  trellis push sample-app main -m "Change the greeting"\n  trellis push local/shop feature/cart')
    .action(action(cli, async (application: string, branch: string, options: { message?: string; dataDir: string }) => {
      const data = new DataDir(options.dataDir);
      const result = await pushCommit({ data, application, branch, message: options.message });
      const info = data.readServerInfo();
      cli.print(`pushed ${result.commit.slice(0, 7)} to ${application} ${branch}`);
      for (const deployment of result.answer.deployments ?? []) {
        cli.print(`  queued ${deployment.application}/${deployment.environment}  ${info.url}/#/deployments/${deployment.id}`);
      }
      for (const reason of result.answer.ignored ?? []) cli.print(`  ignored: ${reason}`);
      if (result.statusCode >= 300) {
        cli.warn(`the webhook answered ${result.statusCode}: ${result.answer.reason ?? JSON.stringify(result.answer)}`);
        return EXIT.failed;
      }
      return EXIT.ok;
    }));
}
