// Help text for `models …`, apart from models.ts so that `--help` does not load the hub client.
export const MODELS_USAGE = `  models search [QUERY] [--sort downloads|likes|updated] [--limit N] [--json]   (no QUERY: the curated starters)
  models info   REPO [--cuda] [--json]                     variants, download sizes, the one recommended here
  models pull   REPO [--variant NAME] [--name NAME] [--data DIR] [--cuda] [--json]
  models list   [--data DIR] [--json]
  models rm     NAME [--data DIR] [--with-cache] [--json]
  (--data defaults to the app's data folder; HF_ENDPOINT and HF_TOKEN select the hub and the token)`;
