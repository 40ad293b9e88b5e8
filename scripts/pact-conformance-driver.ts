/**
 * pcf's driver of the official PACT conformance harness (wbcsd/pact-conformance-service).
 *
 * The harness's CLI (src/scripts/run-tests-cli.ts) runs the test cases with a ConsoleTestStorage
 * but has no listener, so the callback cases (TC13, TC14.B: the tested host answers a request
 * event by POSTing to the harness) stay PENDING. Its server (src/server.ts) has the listener but
 * keeps test runs in PostgreSQL. This driver is the CLI plus the server's listener routes, wired
 * as src/server.ts wires them, on one in-memory storage: the harness's own TestRunWorker,
 * ConsoleTestStorage, EventHandler (token check `test_client_id` / `test_client_secret`, event
 * validation against the spec schemas, product-id match), context and errorHandler middleware;
 * no harness file is changed. scripts/pact-conformance copies it to the harness's src/scripts/.
 *
 * Usage (environment: CONFORMANCE_API = this listener's base URL, PORT its port, NODE_ENV,
 * DB_CONNECTION_STRING (unused), JWT_SECRET, LOG_OUTPUT=console):
 *   ts-node --transpile-only src/scripts/pcf-driver.ts --baseUrl URL --clientId ID --clientSecret S
 *     --versions V3.0,V2.3 --out results.json [--wait 30]
 * Writes {version: {testRunId, results: [{testKey, name, mandatory, status, errorMessage}]}}.
 */
import express from "express";
import { writeFileSync } from "fs";
import config from "../config";
import { context } from "../middleware/context";
import { errorHandler } from "../middleware/error-handler";
import { ConsoleTestStorage } from "../services/console-test-storage";
import { EventHandler } from "../services/event-handler";
import { TestRunWorker } from "../services/test-run-worker";
import { ApiVersion, TestCaseResultStatus } from "../services/types";

function arg(name: string, fallback?: string): string {
  const i = process.argv.indexOf(`--${name}`);
  const value = i >= 0 ? process.argv[i + 1] : fallback;
  if (value === undefined) {
    console.error(`missing --${name}`);
    process.exit(2);
  }
  return value;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function main() {
  const storage = new ConsoleTestStorage();
  const worker = new TestRunWorker(storage);
  const eventHandler = new EventHandler(storage);
  const app = express();
  app.locals.services = { repository: storage, worker, eventHandler };
  // the listener routes of src/server.ts
  app.use(express.json({ type: ["application/json", "application/cloudevents+json"] }));
  app.post("/auth/token", context(async (req) => {
    const authRequest = req.services.eventHandler.parseBasicAuth(req.headers.authorization);
    return await req.services.eventHandler.authenticate(authRequest);
  }));
  app.post("/2/events", context(async (req) => {
    await req.services.eventHandler.processEvent(req.body, req.url);
    return undefined;
  }));
  app.post("/3/events", context(async (req) => {
    await req.services.eventHandler.processEvent(req.body, req.url);
    return undefined;
  }));
  app.use(errorHandler);
  const server = app.listen(Number(config.PORT), "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  console.log(`pcf-driver: listener on ${config.CONFORMANCE_API}`);

  const waitMs = Number(arg("wait", "30")) * 1000;
  const out: Record<string, unknown> = {};
  for (const version of arg("versions").split(",") as ApiVersion[]) {
    const run = await worker.startTestRun({
      baseUrl: arg("baseUrl"), clientId: arg("clientId"), clientSecret: arg("clientSecret"), version,
      organizationName: "pcf", adminEmail: "cli@example.com", adminName: "pcf",
    });
    // the callback cases stay PENDING until the tested host's answer arrives (FAQ: 30 s)
    const deadline = Date.now() + waitMs;
    let final = await storage.getTestRunWithResults(run.testRunId);
    while (final.results.some((r) => r.status === TestCaseResultStatus.PENDING) && Date.now() < deadline) {
      await sleep(100);
      final = await storage.getTestRunWithResults(run.testRunId);
    }
    out[version] = {
      testRunId: run.testRunId,
      results: final.results.map((r) => ({
        testKey: r.testKey, name: r.name, mandatory: r.mandatory, status: r.status, errorMessage: r.errorMessage ?? "",
      })),
    };
  }
  writeFileSync(arg("out"), JSON.stringify(out, null, 2));
  server.close();
  process.exit(0);
}

main().catch((error) => {
  console.error("pcf-driver failed:", error);
  process.exit(1);
});
