// Verifies one request with the official Standard Webhooks library for
// JavaScript (npm `standardwebhooks`), as a receiver would: reads
// {"secret", "headers", "body"} as JSON on stdin; exits 0 when verified,
// 1 (with the library's message) when not. Not our code: the tests use it
// to check what eventurl signs.
const path = require("path");
const { Webhook } = require(path.join(__dirname, "../../../end2end/node_modules/standardwebhooks"));

let input = "";
process.stdin.on("data", (chunk) => (input += chunk));
process.stdin.on("end", () => {
  const { secret, headers, body } = JSON.parse(input);
  try {
    new Webhook(secret).verify(body, headers);
    process.exit(0);
  } catch (e) {
    console.error(String(e && e.message ? e.message : e));
    process.exit(1);
  }
});
