// A real OpenID Connect provider for gate's web tests (the `oidc-provider` package), on
// 127.0.0.1 only. Usage:
//   node provider.mjs PORT CLIENT_ID CLIENT_SECRET REDIRECT_URI
// One client (confidential, client_secret_basic, PKCE required), the built-in login and consent
// pages (devInteractions: any login name, any password). The login name is the account:
// "alice" has email alice@example.com (verified); "NAME-unverified" has NAME@example.com with
// email_verified false. Prints "ready" once listening; stops when its stdin closes (the test
// that started it is gone) or after 10 minutes, whichever comes first.
import crypto from 'node:crypto';
import Provider from 'oidc-provider';

const [port, clientId, clientSecret, redirectUri] = process.argv.slice(2);
if (!redirectUri) {
  console.error('usage: node provider.mjs PORT CLIENT_ID CLIENT_SECRET REDIRECT_URI');
  process.exit(2);
}
const issuer = `http://127.0.0.1:${port}`;
const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: 'test-rs256', alg: 'RS256', use: 'sig' };

function account(login) {
  const unverified = login.endsWith('-unverified');
  const name = unverified ? login.slice(0, -'-unverified'.length) : login;
  return {
    accountId: login,
    async claims() {
      return { sub: login, email: `${name}@example.com`, email_verified: !unverified };
    },
  };
}

const provider = new Provider(issuer, {
  clients: [{
    client_id: clientId,
    client_secret: clientSecret,
    redirect_uris: [redirectUri],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  pkce: { required: () => true },
  jwks: { keys: [signingKey] },
  claims: { openid: ['sub'], email: ['email', 'email_verified'] },
  // Put the email claims in the ID token itself (gate reads no userinfo).
  conformIdTokenClaims: false,
  features: { devInteractions: { enabled: true } },
  cookies: { keys: [crypto.randomBytes(32).toString('hex')] },
  findAccount: async (_ctx, id) => account(id),
});
// Plain http on localhost is for tests only.
provider.proxy = false;

const server = provider.listen(Number(port), '127.0.0.1', () => console.log('ready'));
const stop = () => { server.close(); process.exit(0); };
process.stdin.on('end', stop);
process.stdin.on('close', stop);
process.stdin.resume();
setTimeout(stop, 10 * 60 * 1000).unref();
