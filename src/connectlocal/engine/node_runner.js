// connectlocal's Node runner for node: Lambda targets: reads {event, context} on stdin, calls
// the handler (async, promise or callback style), prints {"result": ...} or {"error": ...}.
"use strict";
const [file, exportName] = process.argv.slice(2);
let input = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => { input += chunk; });
process.stdin.on("end", async () => {
  const { event, context: given } = JSON.parse(input);
  const deadline = Date.now() + given.timeoutMillis;
  const context = {
    functionName: given.functionName, functionVersion: "$LATEST",
    invokedFunctionArn: given.invokedFunctionArn, memoryLimitInMB: "128",
    awsRequestId: given.awsRequestId, logGroupName: `/aws/lambda/${given.functionName}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
  const done = (error, result) => {
    const out = error ? { error: `${error.name || "Error"}: ${error.message || error}` }
                      : { result: result === undefined ? null : result };
    process.stdout.write("\n" + JSON.stringify(out) + "\n");
    process.exit(0);
  };
  try {
    const mod = require(file);
    const handler = mod[exportName];
    if (typeof handler !== "function") throw new Error(`${file} exports no function ${exportName}`);
    const answer = handler(event, context, done);
    if (answer && typeof answer.then === "function") done(null, await answer);
    else if (handler.length < 3) done(null, answer);
  } catch (error) {
    done(error);
  }
});
