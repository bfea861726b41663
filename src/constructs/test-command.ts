/**
 * The command an environment runs as its tests, as an argument vector (never a shell string).
 */
export class TestCommand {
  /**
   * Run a script from the app's package.json with the detected package manager,
   * e.g. `TestCommand.npmScript('test')` runs `npm run test`.
   */
  public static npmScript(script: string): TestCommand {
    return new TestCommand(['npm', 'run', script]);
  }

  /**
   * The package's `test` script when its package.json has one (run with the detected package
   * manager); when it has none (or only npm init's placeholder), the test phase is skipped and
   * its log line says what to set.
   */
  public static auto(): TestCommand {
    return new TestCommand([]);
  }

  /**
   * Run any program with arguments, e.g. `TestCommand.command(['pytest', '-q'])`.
   * Each element is one argument; nothing is interpreted by a shell.
   */
  public static command(argv: string[]): TestCommand {
    if (argv.length === 0) {
      throw new Error('TestCommand.command(argv): argv must name the program to run (at least one element); TestCommand.auto() runs the package\'s test script');
    }
    return new TestCommand([...argv]);
  }

  /** The argument vector; the first element is the program (empty: `auto()`). */
  public readonly argv: string[];

  private constructor(argv: string[]) {
    this.argv = argv;
  }
}
