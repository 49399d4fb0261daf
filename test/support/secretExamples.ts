/**
 * Examples for ./src/workspace/secretRules: each positive holds exactly one secret of the named rule (built from parts
 * so that this file itself does not read as a leaked key to scanners), each negative none.
 */
const j = (...parts: string[]) => parts.join("");

export const OWN_RULE_CASES: readonly { readonly rule: string; readonly text: string; readonly secret: string }[] = [
  { rule: "StripeKey", secret: j("sk_live_", "51H8xYzABCdefGHIjklMNOpqr"), text: "" },
  { rule: "StripeKey", secret: j("rk_live_", "51H8xYzABCdefGHIjklMNOpqrST"), text: "" },
  { rule: "StripeKey", secret: j("sk_test_", "4eC39HqLyjWDarjtT1zdp7dc"), text: "" },
  { rule: "StripeKey", secret: j("whsec_", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"), text: "" },
  { rule: "OpenAIKey", secret: j("sk-proj-", "Zx1Yw2Vu3Ts4Rq5Po6Nm7Lk8Ji9Hg0Fe1Dc2Ba3Zx4Yw5Vu6Ts7Rq8Po9Nm0Lk1Ji2Hg3"), text: "" },
  { rule: "OpenAIKey", secret: j("sk-svcacct-", "Qw3Er4Ty5Ui6Op7As8Df9Gh0Jk1Lz2Xc3Vb4Nm5Qw6Er7Ty8Ui9Op0As1Df2"), text: "" },
  { rule: "OpenAIKey", secret: j("sk-", "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8s9T0u1V2w3X4"), text: "" },
  { rule: "AnthropicKey", secret: j("sk-ant-api03-", "Ab1Cd2Ef3Gh4Ij5Kl6Mn7Op8Qr9St0Uv1Wx2Yz3Ab4Cd5Ef6Gh7"), text: "" },
  { rule: "AnthropicKey", secret: j("sk-ant-admin01-", "Zz9Yy8Xx7Ww6Vv5Uu4Tt3Ss2Rr1Qq0Pp9Oo8Nn7Mm6Ll5"), text: "" },
  { rule: "AWSAccessKeyID", secret: j("AKIA", "QYLPMN5HHHFPZAM2"), text: "" },
].map((c) => ({ ...c, text: `const key = "${c.secret}";\n` })).concat([
  { rule: "PasswordAssignment", secret: "hunter2", text: "DB_PASSWORD=hunter2\n" },
  { rule: "PasswordAssignment", secret: "Tr0ub4dor&3", text: 'const config = { password: "Tr0ub4dor&3" };\n' },
  { rule: "PasswordAssignment", secret: "correcthorsebatterystaple", text: "export DB_PASS=correcthorsebatterystaple\n" },
  { rule: "PasswordAssignment", secret: "s3cr3t-P4ss", text: "database:\n  password: s3cr3t-P4ss\n" },
  { rule: "SecretAssignment", secret: "a8f5f167f44f4964e6c998dee827110c", text: 'const apiKey = "a8f5f167f44f4964e6c998dee827110c";\n' },
  { rule: "SecretAssignment", secret: "GOCSPX-1a2B3c4D5e6F7g8H9i0J", text: '{ "client_secret": "GOCSPX-1a2B3c4D5e6F7g8H9i0J" }\n' },
  { rule: "SecretAssignment", secret: "9f86d081884c7d659a2feaa0c55ad015", text: "JWT_SECRET=9f86d081884c7d659a2feaa0c55ad015\n" },
  { rule: "SecretAssignment", secret: "xK29fPq7LmN3vR8sT1wY", text: "auth_token: 'xK29fPq7LmN3vR8sT1wY'\n" },
]);

export const OWN_RULE_NEGATIVES: readonly string[] = [
  "const publishable = 'pk_live_51H8xYzABCdefGHIjklMNOpqr';\n", // publishable keys are public
  "const disk = 'task-sk-' + id; // not a key\n",
  "const example = 'AKIAIOSFODNN7EXAMPLE'; // AWS's documented example id\n",
  "maxTokens: 48\n",
  'const tokenizer = "gpt2-tokenizer-v1";\n',
  "password = process.env.DB_PASSWORD\n",
  "API_KEY=${API_KEY}\n",
  'secret: "refresh_token"\n',
  "password: config.db.password\n",
  'const password = "";\n',
  'token = "MySecretName"\n',
  "DB_PASSWORD=changeme\n",
  'api_key: "<your-api-key>"\n',
  'password: "********"\n',
  'const passwordLabel = "Enter your password";\n',
  "passenger: John\n",
  'const secretName = "prod/db/password";\n',
  "PASSWORD={{ vault_password }}\n",
];

export const OWN_RULE_POSITIVES: readonly string[] = OWN_RULE_CASES.map((c) => c.text);
