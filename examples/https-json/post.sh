#!/usr/bin/env bash
# Sends KMIP requests written in JSON to Keyward's HTTPS listener with curl, and prints each
# response (JSON too: the server answers in the request's encoding).
#
#   examples/https-json/post.sh                      # discover-versions.json, query.json, create.json
#   examples/https-json/post.sh my-request.json ...  # the files given
#
# The server needs an [https] table in its configuration (examples/config/development.toml has
# one). Where it is and which certificates to use come from the environment, with defaults for a
# `keyward serve --config examples/config/development.toml` started in the current directory:
#
#   KEYWARD_URL   https://localhost:5697/kmip
#   KEYWARD_CA    keyward-data/pki/ca.pem             the CA the server's certificate chains to
#   KEYWARD_CERT  keyward-data/pki/clients/admin.pem  the client certificate (mutual TLS)
#   KEYWARD_KEY   keyward-data/pki/clients/admin.key
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
url="${KEYWARD_URL:-https://localhost:5697/kmip}"
ca="${KEYWARD_CA:-keyward-data/pki/ca.pem}"
cert="${KEYWARD_CERT:-keyward-data/pki/clients/admin.pem}"
key="${KEYWARD_KEY:-keyward-data/pki/clients/admin.key}"

if ! command -v curl >/dev/null; then
    echo "post.sh: curl is needed (apt-get install curl)" >&2
    exit 1
fi
# Responses come as one line of JSON; indent them when a tool for it is at hand.
pretty() {
    if command -v jq >/dev/null; then
        jq .
    elif command -v python3 >/dev/null; then
        python3 -m json.tool
    else
        cat
    fi
}
if [ "$#" -eq 0 ]; then
    set -- "$here/discover-versions.json" "$here/query.json" "$here/create.json"
fi

for request in "$@"; do
    echo "== $(basename "$request")"
    # --fail-with-body: an HTTP refusal (415, 413, ...) fails the script and shows the server's
    # one-line reason. A KMIP failure is a 200 whose ResultStatus says so: read the output.
    # --data-binary sends the file as it is (--data would strip its newlines).
    if ! response="$(curl --silent --show-error --fail-with-body \
        --cacert "$ca" --cert "$cert" --key "$key" \
        -H 'Content-Type: application/json' \
        --data-binary "@$request" \
        "$url")"; then
        echo "$response" >&2
        exit 1
    fi
    printf '%s\n' "$response" | pretty
done
