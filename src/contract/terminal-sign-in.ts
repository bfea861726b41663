/**
 * `trellis login`'s OIDC redirect, which the identity provider must know exactly (Cognito
 * compares the whole URI, port included, and takes `http` only for `localhost`): the command
 * listens on this port of 127.0.0.1 while the browser signs in. The app client the construct
 * creates lists it; an imported user pool or another OIDC issuer registers it by hand.
 */
export const TERMINAL_SIGN_IN_PORT = 53682;

export const TERMINAL_SIGN_IN_CALLBACK = `http://localhost:${TERMINAL_SIGN_IN_PORT}/callback`;
