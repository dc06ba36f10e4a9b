#!/usr/bin/env bash
# The README's Kafka example, runnable: ./kafka-quickstart.sh [BASE_URL] [BOOTSTRAP]
# (defaults http://127.0.0.1:7070 and 127.0.0.1:9092); fails when an answer is not the expected one.
set -euo pipefail
BASE="${1:-http://127.0.0.1:7070}"
BOOTSTRAP="${2:-127.0.0.1:9092}"

# a topic for any Kafka client (schema "bytes": records are whatever the client sends)
curl -sS -X POST "$BASE"/v1/topics -H 'Content-Type: application/json' \
  -d '{"name": "greetings", "partitions": 1, "config": {"schema": "bytes"}}'

# produce three lines with librdkafka's kcat, lz4-compressed, then read them back from the beginning
printf 'hello\nfrom\nkafka\n' | kcat -b "$BOOTSTRAP" -t greetings -P -z lz4
out=$(kcat -b "$BOOTSTRAP" -t greetings -C -o beginning -e -q)
echo "$out"
[ "$out" = $'hello\nfrom\nkafka' ] || { echo "unexpected records: $out" >&2; exit 1; }

# the same records through the HTTP door
out=$(curl -sS "$BASE/v1/topics/greetings/partitions/0/records?offset=0")
echo "$out"
grep -q '"key":null' <<<"$out" && grep -q '"nextOffset":3' <<<"$out" || { echo "unexpected HTTP answer: $out" >&2; exit 1; }
echo "kafka quickstart OK"
