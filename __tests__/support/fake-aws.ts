import * as fs from 'fs';
import * as path from 'path';

/**
 * A stand-in for the AWS CLI (no S3-compatible server runs offline here): `s3://bucket/key` is
 * the file `<root>/bucket/bucket/key`. It does what the rendered scripts call:
 * - `s3 sync SRC DST` (files only, `*.partial` skipped);
 * - `s3api list-objects-v2 --bucket B --prefix P --query 'Contents[].[Key]' --output text`: the
 *   keys, one a line, or `None` when there are none (as the real CLI prints them);
 * - `s3 ls s3://B/PREFIX/`: `<date> <time> <size> <name>` per object directly under it, exit 1
 *   when there is none (as the real CLI does);
 * - `s3 cp s3://B/KEY FILE` (or the other way round);
 * - `s3 rm s3://B/KEY`, and `s3 rm s3://B/PREFIX/ --recursive` with `--exclude`/`--include`
 *   filters applied in order to the key relative to PREFIX, later ones winning (AWS CLI's rule).
 * Those output formats and filter semantics were checked against aws-cli 1.45 and moto's S3
 * server; `s3 rm --recursive` issues one DeleteObject per key there.
 * Every call is appended to `<root>/aws.log`; a subcommand named in `<root>/aws.fail` fails.
 */
export function writeFakeAws(binDir: string, root: string): void {
  const script = [
    '#!/bin/sh',
    'set -f',
    `root='${root}'`,
    'echo "$*" >> "$root/aws.log"',
    'while [ "$#" -gt 0 ] && [ "$1" != s3 ] && [ "$1" != s3api ]; do shift; done',
    'service="$1"; cmd="$2"; shift 2',
    'if [ -f "$root/aws.fail" ] && grep -qx "$cmd" "$root/aws.fail"; then echo "An error occurred (InternalError) when calling $cmd" >&2; exit 255; fi',
    'map() { case "$1" in s3://*) echo "$root/bucket/${1#s3://}";; *) echo "$1";; esac; }',
    'case "$service $cmd" in',
    '"s3 sync")',
    '  src="$(map "$1")"; dst="$(map "$2")"; mkdir -p "$dst"',
    "  (cd \"$src\" && find . -type f ! -name '*.partial' | while IFS= read -r f; do mkdir -p \"$dst/$(dirname \"$f\")\"; cp \"$f\" \"$dst/$f\"; done)",
    '  ;;',
    '"s3 ls")',
    '  set +f; found=1; for f in "$(map "$1")"*; do [ -f "$f" ] || continue; found=0; echo "2026-12-01 19:13:07 $(wc -c < "$f") $(basename "$f")"; done; exit $found',
    '  ;;',
    '"s3 cp")',
    '  mkdir -p "$(dirname "$(map "$2")")"; cp "$(map "$1")" "$(map "$2")"',
    '  ;;',
    '"s3api list-objects-v2")',
    '  bucket=; prefix=',
    '  while [ "$#" -gt 0 ]; do case "$1" in --bucket) bucket="$2"; shift;; --prefix) prefix="$2"; shift;; esac; shift; done',
    '  [ -d "$root/bucket/$bucket" ] || { echo "An error occurred (NoSuchBucket)" >&2; exit 254; }',
    "  keys=\"$(cd \"$root/bucket/$bucket\" && find . -type f | sed 's|^\\./||' | while IFS= read -r k; do case \"$k\" in \"$prefix\"*) echo \"$k\";; esac; done | LC_ALL=C sort)\"",
    '  if [ -n "$keys" ]; then echo "$keys"; else echo None; fi',
    '  ;;',
    '"s3 rm")',
    '  url="$1"; shift; recursive=0; filters=""',
    '  while [ "$#" -gt 0 ]; do',
    '    case "$1" in',
    '      --recursive) recursive=1;;',
    '      --exclude=*) filters="$filters',
    'e ${1#--exclude=}";;',
    '      --include=*) filters="$filters',
    'i ${1#--include=}";;',
    '      --exclude) filters="$filters',
    'e $2"; shift;;',
    '      --include) filters="$filters',
    'i $2"; shift;;',
    '    esac',
    '    shift',
    '  done',
    '  target="$(map "$url")"',
    '  if [ "$recursive" = 0 ]; then rm -f "$target"; exit 0; fi',
    '  bucketdir="$root/bucket/$(echo "${url#s3://}" | cut -d/ -f1)"',
    '  [ -d "$target" ] || exit 0',
    '  find "$target" -type f | while IFS= read -r f; do',
    '    rel="${f#"$target"}"; rel="${rel#/}"',
    '    take=1',
    '    echo "$filters" | { while read -r kind pat; do [ -n "$kind" ] || continue; case "$rel" in $pat) if [ "$kind" = i ]; then take=1; else take=0; fi;; esac; done; [ "$take" = 1 ]; } && rm -f "$f"',
    '  done',
    '  find "$bucketdir" -mindepth 1 -type d -empty -delete',
    '  ;;',
    '*) echo "fake aws: $service $cmd is not faked" >&2; exit 2;;',
    'esac',
    '',
  ].join('\n');
  fs.writeFileSync(path.join(binDir, 'aws'), script);
  fs.chmodSync(path.join(binDir, 'aws'), 0o755);
}
