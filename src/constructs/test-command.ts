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
   * Run any program with arguments, e.g. `TestCommand.command(['pytest', '-q'])`.
   * Each element is one argument; nothing is interpreted by a shell.
   */
  public static command(argv: string[]): TestCommand {
    return new TestCommand([...argv]);
  }

  /** The argument vector; the first element is the program. */
  public readonly argv: string[];

  private constructor(argv: string[]) {
    this.argv = argv;
  }
}
