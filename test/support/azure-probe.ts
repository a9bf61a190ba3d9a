/**
 * A stand-in for a future Azure command, run as its own process by azure-emulator-cli.test.ts:
 * opens the connection from the environment exactly as a command will (DRIFTSCAN_ARM_ENDPOINT,
 * DRIFTSCAN_ARM_TOKEN, NODE_EXTRA_CA_CERTS — no test-only options), prints through the redacting
 * console, lists subscriptions, writes one policy definition and then tries one in each argument's
 * subscription. Exit 0 when everything worked, 3 on an AzureError (the line on stderr).
 */
import { openAzureConnection } from '../../src/azure/connection.js';
import { AzureError } from '../../src/azure/errors.js';
import { createPolicyClient } from '../../src/azure/policy-client.js';
import { listSubscriptions } from '../../src/azure/subscription-client.js';
import { flushConsole, stderr, stdout } from '../../src/io/console.js';
import { policyDefinition } from './azure-fixtures.js';

const conn = openAzureConnection({ verbose: (line) => stderr.line(line), retry: { baseDelayMs: 20, maxDelayMs: 100 } });
let code = 0;
try {
  const subs = await listSubscriptions(conn);
  stdout.line(`subscriptions: ${subs.map((s) => s.displayName).join(', ')}`);
  for (const sub of process.argv.slice(2)) {
    const d = await createPolicyClient(conn, sub).policyDefinitions.createOrUpdate('probe', policyDefinition('probe'));
    stdout.line(`created ${d.id}`);
  }
} catch (err) {
  if (!(err instanceof AzureError)) throw err;
  stderr.line(`driftscan: ${err.message}`);
  code = 3;
} finally {
  conn.close();
  flushConsole();
}
process.exitCode = code;
