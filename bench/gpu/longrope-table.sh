#!/usr/bin/env bash
# The LongRoPE table at 32k–128k on a GPU machine, one command:
#
#   bash bench/gpu/longrope-table.sh            # full: SmolLM2-135M-Instruct (window 8,192) at ×4, ×8, ×16
#   bash bench/gpu/longrope-table.sh --quick    # fits ~15 minutes of device time: ×4 and ×8, 5 trials per cell
#   bash bench/gpu/longrope-table.sh --dry-run  # the same code path on CPU at toy lengths (512 → 1,024), 3 methods
#
# Same protocol as the CPU table in docs/longrope.md (scripts/longrope-table.ts): perplexity by position on
# typescript/lib/typescript.js, passkey with the paper's prompt (5 depths, paired trials, greedy, first integer == key,
# plus the key's log-likelihood against 9 decoys), LongRoPE searched progressively on playwright-core's bundles.
# Results go to bench/gpu/longrope-table-<profile>.json and .png (the dry run's to $WORK); cells are checkpointed in
# $WORK (default /tmp/longrope-table-<profile>), so a rerun after a timeout continues where it stopped. Extra
# arguments are passed to the table script (e.g. --search-budget 600). Dry run here: 9 minutes on the shared CPU.
#
# Time, estimated (not measured: no GPU was lent while writing this): a 131,072-token forward of a 135M model with
# flash attention is seconds on an H200, so the full profile is dominated by 60 passkey prompts and 12 perplexity
# runs per length plus the search budgets: about an hour; --quick about 12 minutes.
set -euo pipefail
cd "$(dirname "$0")/../.."

profile=full
if [[ "${1:-}" == "--quick" || "${1:-}" == "--dry-run" ]]; then profile="${1#--}"; shift; fi
work="${WORK:-/tmp/longrope-table-$profile}"
[[ -d node_modules/node-llama-cpp ]] || npm ci --no-audit --no-fund
node --import tsx scripts/fetch-models.ts >/dev/null

# The dry run's toy numbers stay in $WORK; the real profiles write next to this script.
out_dir=bench/gpu
[[ "$profile" == dry-run ]] && out_dir="$work"
common=(--work "$work" --out "$out_dir/longrope-table-$profile.json" --plot "$out_dir/longrope-table-$profile.png")
case "$profile" in
  full)
    args=(--gpu auto --threads 8 --native 1024,2048,4096,8192 --lengths 32768,65536,131072 --trials 2 --ext-trials 2
      --eval-docs typescript/lib/typescript.js@0,typescript/lib/typescript.js@4000000
      --search-docs playwright-core/lib/coreBundle.js@0,playwright-core/lib/utilsBundle.js@0
      --search-budget 600 --population 16 --score-every 32 --search-score-every 64 --n-hat 16,64) ;;
  quick)
    args=(--gpu auto --threads 8 --native 2048,8192 --lengths 32768,65536 --trials 1 --ext-trials 1
      --eval-docs typescript/lib/typescript.js@0 --search-docs playwright-core/lib/coreBundle.js@0
      --search-budget 120 --population 8 --score-every 32 --search-score-every 64 --n-hat 64) ;;
  dry-run)
    # The window is set to 512 so that ×2 is 1,024 tokens: this checks the code path, not SmolLM2's real window.
    args=(--gpu cpu --threads 2 --window 512 --native 512 --lengths 1024 --trials 1 --ext-trials 1 --methods none,ntk+attn,longrope
      --eval-docs typescript/lib/typescript.js@0 --search-docs playwright-core/lib/coreBundle.js@0
      --search-budget 60 --population 4 --score-every 8 --search-score-every 16 --n-hat 16) ;;
esac
exec node --import tsx scripts/longrope-table.ts "${common[@]}" "${args[@]}" "$@"
