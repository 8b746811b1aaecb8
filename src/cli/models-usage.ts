// Help text for `models …`, apart from models.ts so that `--help` does not load the hub client.
export const MODELS_USAGE = `  models search [QUERY] [--sort downloads|likes|updated] [--limit N] [--data DIR] [--json]   (no QUERY: the starters)
  models info   REPO [--cuda] [--data DIR] [--json]        variants, download sizes, the one recommended here
  models pull   REPO [--variant NAME] [--name NAME] [--data DIR] [--cuda] [--json]
  models list   [--data DIR] [--json]
  models rm     NAME [--data DIR] [--with-cache] [--json]
  (--data defaults to the app's data folder; HF_ENDPOINT selects the hub; the token for gated repos is
   HF_TOKEN, else the one saved in that folder's settings: About Reprise → Hugging Face token)`;
