#!/usr/bin/env bash
# Package the Lambda stack offline and lint the CloudFormation it produces.
#
#   scripts/package.sh            # after `npm ci`
#   VENV=.venv scripts/package.sh # use that venv's cfn-lint
#
# Needs: node_modules (npm ci), a Python 3.12 with pip (for the arm64 wheels), cfn-lint.
# Calls no AWS API: `osls package` only needs credentials to *exist* (dummy ones here), and
# serverless.yml uses no variable source that resolves against AWS.
# Output: .serverless/opsbot.zip and .serverless/cloudformation-template-update-stack.json.
set -euo pipefail

cd "$(dirname "$0")/.."

STAGE="${STAGE:-ci}"
REGION="${REGION:-us-east-1}"

# --- Python 3.12 for serverless-python-requirements ---------------------------------------
# python3 here is 3.11; pip must run under 3.12 so that it resolves 3.12 wheels and writes
# 3.12 bytecode. Order: $OPSBOT_PYTHON_BIN, python3.12 on PATH (a pyenv shim counts only if
# it actually runs, e.g. with PYENV_VERSION=3.12.x), then pyenv's versions directory.
resolve_python() {
  if [[ -n "${OPSBOT_PYTHON_BIN:-}" ]]; then
    echo "$OPSBOT_PYTHON_BIN"
    return
  fi
  if command -v python3.12 >/dev/null 2>&1 && python3.12 -c '' >/dev/null 2>&1; then
    command -v python3.12
    return
  fi
  local root candidate
  root="$(pyenv root 2>/dev/null || echo "${PYENV_ROOT:-$HOME/.pyenv}")"
  for candidate in "$root"/versions/3.12*/bin/python3.12; do
    if [[ -x "$candidate" ]]; then
      echo "$candidate"
      return
    fi
  done
  return 1
}

if ! OPSBOT_PYTHON_BIN="$(resolve_python)"; then
  echo "package.sh: no Python 3.12 found (set OPSBOT_PYTHON_BIN or install one with pyenv)" >&2
  exit 1
fi
if ! "$OPSBOT_PYTHON_BIN" -c 'import sys; assert sys.version_info[:2] == (3, 12)' 2>/dev/null; then
  echo "package.sh: $OPSBOT_PYTHON_BIN is not Python 3.12" >&2
  exit 1
fi
export OPSBOT_PYTHON_BIN

# --- cfn-lint -------------------------------------------------------------------------------
if [[ -n "${VENV:-}" ]]; then
  CFN_LINT="$VENV/bin/cfn-lint"
else
  CFN_LINT="$(command -v cfn-lint || true)"
fi
if [[ -z "$CFN_LINT" || ! -x "$CFN_LINT" ]]; then
  echo "package.sh: cfn-lint not found (set VENV=.venv or put cfn-lint on PATH)" >&2
  exit 1
fi

if [[ ! -x node_modules/.bin/osls ]]; then
  echo "package.sh: node_modules/.bin/osls missing: run 'npm ci' first" >&2
  exit 1
fi

# --- package ----------------------------------------------------------------------------------
# Dummy credentials: osls resolves a credential provider even for `package`, but never uses
# it there. Anything real in the environment is overridden so a CI job cannot reach AWS.
export AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE
export AWS_SECRET_ACCESS_KEY=dummy-secret-for-offline-packaging
unset AWS_SESSION_TOKEN AWS_PROFILE AWS_DEFAULT_PROFILE
export AWS_EC2_METADATA_DISABLED=true
# Keep pip quiet and local: no version check against PyPI.
export PIP_DISABLE_PIP_VERSION_CHECK=1

rm -rf .serverless
start=$(date +%s)
npx --no-install osls package --stage "$STAGE" --region "$REGION"
end=$(date +%s)

template=.serverless/cloudformation-template-update-stack.json
zip=.serverless/opsbot.zip
for f in "$template" "$zip"; do
  if [[ ! -s "$f" ]]; then
    echo "package.sh: osls did not produce $f" >&2
    exit 1
  fi
done

# --- lint -------------------------------------------------------------------------------------
# W3005 (redundant DependsOn) is emitted for DependsOn entries that osls and
# serverless-iam-roles-per-function generate themselves; every other warning fails the run.
"$CFN_LINT" --ignore-checks W3005 -- "$template"
# The member-account template is deployed on its own (not through osls): lint it as is.
"$CFN_LINT" -- deploy/member-account.yml

bytes=$(wc -c <"$zip")
echo "package.sh: packaged in $((end - start)) s with $OPSBOT_PYTHON_BIN"
echo "package.sh: bundle $zip is $bytes bytes ($((bytes / 1024)) KiB)"
echo "package.sh: template $template passes cfn-lint"
echo "package.sh: deploy/member-account.yml passes cfn-lint"
