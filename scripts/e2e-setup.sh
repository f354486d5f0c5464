#!/usr/bin/env bash
# Installs what the end-to-end suite (scripts/e2e.mjs, `npm run test:e2e`) needs, outside the project's
# node_modules: Debian's chromium, ripgrep and libkrb5-dev (apt), and code-server + playwright-core
# (pinned in e2e/tools/package.json) into a cache directory that later runs reuse:
#   $VMM_E2E_CACHE (default /var/cache/vmm-debug-e2e)/tools, linked from e2e/.tools (git-ignored).
# Reinstalls only when e2e/tools/package.json changes. Prints one line per step and the time taken.
#
# Why the odd steps (facts found on these machines, see issue 9):
# - code-server >= 4.101 needs Node 24; 4.100.3 (VS Code 1.100.3) is the last that runs on Node 20.
# - As root, its postinstall (npm install in lib/vscode) wants --unsafe-perm; node-pty's build calls
#   `npx node-gyp`, which must not prompt: npm_config_yes=true. The kerberos module needs libkrb5-dev.
# - node-gyp must find Node's headers locally (npm_config_nodedir), nothing is downloaded.
# - @vscode/ripgrep's postinstall downloads a prebuilt rg unless it finds one in
#   $TMPDIR/vscode-ripgrep-cache-<version>/: Debian's rg is packed there under the expected name.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
CACHE=${VMM_E2E_CACHE:-/var/cache/vmm-debug-e2e}
TOOLS="$CACHE/tools"
MANIFEST="$ROOT/e2e/tools/package.json"
RG_PKG_VERSION=1.15.11          # @vscode/ripgrep in code-server 4.100.3's lib/vscode/npm-shrinkwrap.json
RG_ASSET_VERSION=v13.0.0-10     # its postinstall's VERSION
start=$(date +%s)
say() { echo "e2e-setup: $*"; }

# 1. Debian packages.
need_apt=()
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
command -v rg >/dev/null 2>&1 || need_apt+=(ripgrep)
[ -e /usr/include/krb5.h ] || [ -e /usr/include/gssapi/gssapi.h ] || need_apt+=(libkrb5-dev)
command -v g++ >/dev/null 2>&1 || need_apt+=(g++)
command -v make >/dev/null 2>&1 || need_apt+=(make)
command -v python3 >/dev/null 2>&1 || need_apt+=(python3)
if [ ${#need_apt[@]} -gt 0 ]; then
  say "apt-get install ${need_apt[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

# 2. code-server + playwright-core in the cache, keyed by the manifest's hash.
want=$(sha256sum "$MANIFEST" | cut -d' ' -f1)
have=$(cat "$TOOLS/.manifest-sha256" 2>/dev/null || true)
if [ "$want" != "$have" ] || [ ! -x "$TOOLS/node_modules/.bin/code-server" ] \
   || [ ! -d "$TOOLS/node_modules/playwright-core" ] || [ ! -d "$TOOLS/node_modules/@vscode/test-electron" ]; then
  say "installing code-server, playwright-core and @vscode/test-electron into $TOOLS (a few minutes, once)"
  # A changed manifest updates in place (code-server stays when its version does); a broken one restarts.
  [ -x "$TOOLS/node_modules/.bin/code-server" ] || rm -rf "$TOOLS"
  mkdir -p "$TOOLS" "$CACHE/home" "$CACHE/tmp" "$CACHE/npm-cache"
  cp "$MANIFEST" "$TOOLS/package.json"
  [ -f "$ROOT/e2e/tools/package-lock.json" ] && cp "$ROOT/e2e/tools/package-lock.json" "$TOOLS/"
  rgcache="$CACHE/tmp/vscode-ripgrep-cache-$RG_PKG_VERSION"
  mkdir -p "$rgcache/stage"
  cp "$(command -v rg)" "$rgcache/stage/rg"
  tar czf "$rgcache/ripgrep-$RG_ASSET_VERSION-x86_64-unknown-linux-musl.tar.gz" -C "$rgcache/stage" rg
  nodedir=$(node -p "require('path').resolve(process.execPath, '..', '..')")
  [ -e "$nodedir/include/node/node.h" ] || { say "Node headers not found under $nodedir/include/node"; exit 1; }
  ( cd "$TOOLS" && HOME="$CACHE/home" TMPDIR="$CACHE/tmp" XDG_CACHE_HOME="$CACHE/home/.cache" \
      npm_config_cache="$CACHE/npm-cache" npm_config_nodedir="$nodedir" npm_config_yes=true \
      npm_config_update_notifier=false \
      timeout 1200 npm install --unsafe-perm --no-audit --no-fund --loglevel=error ) > "$CACHE/install.log" 2>&1 || {
    say "npm install failed; last lines of $CACHE/install.log:"; tail -40 "$CACHE/install.log"; exit 1; }
  [ -x "$TOOLS/node_modules/code-server/lib/vscode/node_modules/@vscode/ripgrep/bin/rg" ] || {
    say "code-server installed without ripgrep (see $CACHE/install.log)"; exit 1; }
  echo "$want" > "$TOOLS/.manifest-sha256"
else
  say "tools cached in $TOOLS"
fi

# 3. e2e/.tools -> the cache (git-ignored), where scripts/e2e.mjs looks.
ln -sfn "$TOOLS" "$ROOT/e2e/.tools"
say "code-server $(HOME="$CACHE/home" "$TOOLS/node_modules/.bin/code-server" --version 2>/dev/null | grep -m1 'with Code' | cut -d' ' -f1), playwright-core $(node -p "require('$TOOLS/node_modules/playwright-core/package.json').version"), $(chromium --version 2>/dev/null | grep -m1 -o 'Chromium [0-9.]*') ($(( $(date +%s) - start ))s)"
