/** Secrets Manager names of an installation; the build task may read only under its prefix. */
export const secretNames = {
  prefix: (installation: string) => `trellis/${installation}/`,
  githubToken: (installation: string) => `trellis/${installation}/github-token`,
  environment: (installation: string, application: string, environment: string) => `trellis/${installation}/${application}/${environment}`,
};
