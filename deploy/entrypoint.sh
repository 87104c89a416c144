#!/bin/sh
# The container's start command (one Fly machine: web + worker + Litestream).
#
#   1. restore compass.db and queue.db from the replica when the volume has none
#      (a new volume, a replaced machine); a volume that has them is left alone;
#   2. apply migrations;
#   3. run the Procfile under `litestream replicate -exec`, so every commit is shipped and
#      SIGTERM reaches honcho (then web and worker) before Litestream's final sync.
#
# Everything is configured by the environment (see litestream.yml). For local runs and
# tests, these override the container's paths:
#   LITESTREAM_CONFIG  (default: litestream.yml beside this script's parent directory)
#   LITESTREAM         the litestream binary (default: found on PATH)
#   COMPASS            the compass CLI (default: found on PATH)
#   COMPASS_APP_CMD    what to run under Litestream (default: `compass procs`, honcho over
#                      the Procfile with a 40 s stop grace period instead of honcho's 5 s)
#   COMPASS_RUN_AS     started as root, hand the data directory to this user and continue
#                      as that user (the image sets it: Fly mounts volumes root-owned)
set -eu

if [ -n "${COMPASS_RUN_AS:-}" ] && [ "$(id -u)" = 0 ]; then
    data=${COMPASS_DATA_DIR:-/data}
    mkdir -p "$data"
    chown -R "$COMPASS_RUN_AS:$COMPASS_RUN_AS" "$data"
    exec setpriv --reuid="$COMPASS_RUN_AS" --regid="$COMPASS_RUN_AS" --init-groups \
        env HOME="$data" "$0" "$@"
fi

here=$(cd "$(dirname "$0")/.." && pwd)
: "${COMPASS_DATA_DIR:=/data}"
: "${LITESTREAM_CONFIG:=$here/litestream.yml}"
: "${LITESTREAM:=litestream}"
: "${COMPASS:=compass}"
: "${COMPASS_APP_CMD:=$COMPASS procs start --no-prefix -f $here/Procfile}"

say() { echo "entrypoint: $*" >&2; }

mkdir -p "$COMPASS_DATA_DIR"
# Litestream resolves paths itself; an absolute directory keeps restore and replicate
# pointing at the same files whatever the working directory.
COMPASS_DATA_DIR=$(cd "$COMPASS_DATA_DIR" && pwd)
export COMPASS_DATA_DIR

# `fly storage create` (Tigris) sets BUCKET_NAME and AWS_ENDPOINT_URL_S3.
if [ -z "${LITESTREAM_REPLICA_URL:-}" ] && [ -n "${BUCKET_NAME:-}" ]; then
    LITESTREAM_REPLICA_URL="s3://$BUCKET_NAME/${LITESTREAM_REPLICA_PREFIX:-compass}"
fi
export LITESTREAM_REPLICA_URL="${LITESTREAM_REPLICA_URL:-}"

# Litestream's S3 client fails when AWS_CA_BUNDLE is set (as on some build machines).
litestream() { env -u AWS_CA_BUNDLE "$LITESTREAM" "$@"; }

# A staged point-in-time restore (docs/operations.md): a database the operator restored
# into $COMPASS_DATA_DIR/restore/ replaces the live one now, before anything opens it.
# The old file is kept beside it; Litestream's local state goes, so it starts a new
# snapshot of the restored file instead of continuing the old history.
for name in compass.db queue.db; do
    staged="$COMPASS_DATA_DIR/restore/$name"
    [ -f "$staged" ] || continue
    db="$COMPASS_DATA_DIR/$name"
    if [ -e "$db" ]; then
        kept="$db.before-restore-$(date -u +%Y%m%dT%H%M%SZ)"
        mv "$db" "$kept"
        say "$name: the previous file is kept as $kept"
    fi
    rm -f "$db-wal" "$db-shm"
    rm -rf "$COMPASS_DATA_DIR/.$name-litestream"
    mv "$staged" "$db"
    say "$name replaced by the staged restore"
done

if [ -n "$LITESTREAM_REPLICA_URL" ]; then
    for name in compass.db queue.db; do
        db="$COMPASS_DATA_DIR/$name"
        if [ -e "$db" ]; then
            say "$name present on the volume; not restoring"
            continue
        fi
        say "$name missing; restoring from the replica if it has one"
        # -if-replica-exists: a first deploy (no backup yet) is not an error.
        litestream restore -config "$LITESTREAM_CONFIG" -if-db-not-exists -if-replica-exists "$db"
        if [ -e "$db" ]; then
            say "$name restored"
        else
            say "$name: no replica yet; starting empty"
        fi
    done
elif [ "${COMPASS_ENV:-development}" = production ] && [ "${COMPASS_ALLOW_NO_BACKUP:-}" != 1 ]; then
    say "COMPASS_ENV=production but no replica is configured: set LITESTREAM_REPLICA_URL"
    say "(or BUCKET_NAME via 'fly storage create'), or COMPASS_ALLOW_NO_BACKUP=1 to run unprotected"
    exit 64
fi

"$COMPASS" migrate

# Per-process metric files from a previous boot would be summed into this one's.
export PROMETHEUS_MULTIPROC_DIR="${PROMETHEUS_MULTIPROC_DIR:-$COMPASS_DATA_DIR/metrics}"
mkdir -p "$PROMETHEUS_MULTIPROC_DIR"
find "$PROMETHEUS_MULTIPROC_DIR" -maxdepth 1 -name '*.db' -type f -delete

if [ -n "$LITESTREAM_REPLICA_URL" ]; then
    say "replicating to $LITESTREAM_REPLICA_URL"
    exec env -u AWS_CA_BUNDLE "$LITESTREAM" replicate -config "$LITESTREAM_CONFIG" \
        -exec "$COMPASS_APP_CMD"
fi
say "no replica configured; running without backups"
# shellcheck disable=SC2086 # the command is a word list on purpose
exec $COMPASS_APP_CMD
