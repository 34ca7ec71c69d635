#!/usr/bin/env bash
# A stand-in for kubectl in the secrets-script tests: it keeps Secrets in $FAKE_KUBECTL_STORE
# (<namespace>/<name>/type and one file per key holding the base64 value) and answers the few
# commands the script uses the way kubectl does. Bash, not node: the script calls it often.
set -euo pipefail
store="$FAKE_KUBECTL_STORE"
printf '%s\n' "$*" >>"$store/calls.log"
ns=default
args=()
while [ $# -gt 0 ]; do
  if [ "$1" = "-n" ]; then ns="$2"; shift 2; else args+=("$1"); shift; fi
done
set -- "${args[@]}"
b64() { printf '%s' "$1" | base64 -w0; }
json() { local s="${1//\\/\\\\}"; printf '"%s"' "${s//\"/\\\"}"; }

case "$1 ${2:-}" in
  "create namespace")
    printf 'namespace %s\n' "$3" ;;
  "apply -f")
    read -r kind secret_ns name type || true
    if [ "$kind" = "secret" ]; then
      dir="$store/secrets/$secret_ns/$name"
      mkdir -p "$dir"
      printf '%s' "$type" >"$dir/type"
      while read -r key value; do
        if [ "$key" = "@label" ]; then printf '%s\n' "$value" >>"$dir/labels"; else printf '%s' "$value" >"$dir/data.$key"; fi
      done
      echo "secret/$name configured"
    fi ;;
  "label --local")
    # `kubectl label --local -f - K=V... -o yaml`: the object on stdin, with the labels added.
    [ "$3 $4" = "-f -" ] && [ "${*: -2}" = "-o yaml" ] || { echo "fake kubectl: unsupported label $*" >&2; exit 1; }
    read -r header; printf '%s\n' "$header"
    for a in "${@:5:$#-6}"; do printf '@label %s\n' "$a"; done
    cat ;;
  "get secret")
    dir="$store/secrets/$ns/$3"
    [ -d "$dir" ] || { echo "Error from server (NotFound): secrets \"$3\" not found" >&2; exit 1; }
    if [ "${4:-}" = "-o" ] && [[ "${5:-}" == jsonpath=\{.data.* ]]; then
      key="${5#jsonpath=\{.data.}"; key="${key%\}}"; key="${key//\\./.}"
      [ -f "$dir/data.$key" ] && cat "$dir/data.$key"
    fi ;;
  "create secret")
    secret_type="$3"; name="$4"; shift 4
    case "$secret_type" in
      generic)
        printf 'secret %s %s Opaque\n' "$ns" "$name"
        for a in "$@"; do
          case "$a" in --from-literal=*) kv="${a#--from-literal=}"; printf '%s %s\n' "${kv%%=*}" "$(b64 "${kv#*=}")" ;; esac
        done ;;
      docker-registry)
        for a in "$@"; do
          case "$a" in
            --docker-server=*) server="${a#*=}" ;;
            --docker-username=*) user="${a#*=}" ;;
            --docker-password=*) password="${a#*=}" ;;
          esac
        done
        printf 'secret %s %s kubernetes.io/dockerconfigjson\n' "$ns" "$name"
        config="{\"auths\":{$(json "$server"):{\"username\":$(json "$user"),\"password\":$(json "$password"),\"auth\":$(json "$(b64 "$user:$password")")}}}"
        printf '.dockerconfigjson %s\n' "$(b64 "$config")" ;;
      *) echo "fake kubectl: unsupported secret type $secret_type" >&2; exit 1 ;;
    esac ;;
  *) echo "fake kubectl: unsupported command $*" >&2; exit 1 ;;
esac
