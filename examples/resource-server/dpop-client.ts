/**
 * A service calling the example API with a DPoP-bound token (RFC 9449), using oauth4webapi: it
 * generates a key, proves it at Gatehouse's token endpoint (client credentials), and proves it
 * again on every API call. A thief with the token alone gets 401.
 *
 *   GATEHOUSE_ISSUER=http://localhost:3000 CLIENT_ID=… CLIENT_SECRET=… API_URL=http://127.0.0.1:4000/invoices \
 *     npx node examples/resource-server/dpop-client.ts
 */
import * as oauth from 'oauth4webapi';

const issuer = new URL(process.env.GATEHOUSE_ISSUER ?? 'http://localhost:3000');
const apiUrl = new URL(process.env.API_URL ?? 'http://127.0.0.1:4000/invoices');
const client: oauth.Client = { client_id: process.env.CLIENT_ID ?? '' };
const clientSecret = process.env.CLIENT_SECRET ?? '';
// Plain http is for a local try-out only; never in production.
const http = issuer.protocol === 'http:' ? { [oauth.allowInsecureRequests]: true } : {};

const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, http));
const DPoP = oauth.DPoP(client, await oauth.generateKeyPair('ES256'));
const tokens = await oauth.processClientCredentialsResponse(
  as,
  client,
  await oauth.clientCredentialsGrantRequest(as, client, oauth.ClientSecretBasic(clientSecret), { scope: 'invoices:read' }, { DPoP, ...http }),
);
process.stdout.write(`token_type ${tokens.token_type}, bound to key ${await DPoP.calculateThumbprint()}\n`);

const withProof = await oauth.protectedResourceRequest(tokens.access_token, 'GET', apiUrl, undefined, undefined, { DPoP, ...http });
process.stdout.write(`with its proof:  ${withProof.status} ${await withProof.text()}\n`);
const stolen = await fetch(apiUrl, { headers: { authorization: `Bearer ${tokens.access_token}` } });
process.stdout.write(`as a bearer token: ${stolen.status} ${stolen.headers.get('www-authenticate')}\n`);
