// The JavaScript SDK v3 against `serve --auth strict`: argv[2] the URL, argv[3]:argv[4] the
// key and its secret. Prints, as JSON, what a correctly signed call, a wrong secret, an
// unknown key and an expired signature gave back, for tests/clients/test_clients.py.
import { ConnectClient, ListInstancesCommand } from "@aws-sdk/client-connect";

const [endpoint, key, secret] = process.argv.slice(2);
const client = (accessKeyId, secretAccessKey, extra = {}) => new ConnectClient({
  endpoint, region: "us-east-1", credentials: { accessKeyId, secretAccessKey },
  maxAttempts: 1, ...extra,
});
const outcome = async (c) => {
  try {
    const listed = await c.send(new ListInstancesCommand({}));
    return { ok: listed.$metadata.httpStatusCode };
  } catch (error) {
    return { name: error.name, status: error.$metadata?.httpStatusCode, message: error.message };
  }
};
const out = {
  signed: await outcome(client(key, secret)),
  wrongSecret: await outcome(client(key, "not-the-secret")),
  unknownKey: await outcome(client("AKIAUNKNOWNJS", secret)),
  // Signing an hour ago: the SDK's clock offset moves the X-Amz-Date it signs.
  expired: await outcome(client(key, secret, { systemClockOffset: -3600 * 1000 })),
};
console.log(JSON.stringify(out));
