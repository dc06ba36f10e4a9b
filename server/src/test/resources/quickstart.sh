#!/usr/bin/env bash
# The README quick start, runnable: ./quickstart.sh [BASE_URL]   (default http://127.0.0.1:7070)
# Each step prints the server's answer; the script fails when an answer is not the expected one.
set -euo pipefail
BASE="${1:-http://127.0.0.1:7070}"
NOW=$(($(date +%s) * 1000))
check() { grep -q -- "$1" <<<"$2" || { echo "unexpected answer (wanted $1): $2" >&2; exit 1; }; }

# 1. create a metrics topic with 2 partitions
out=$(curl -sS -X POST "$BASE/v1/topics" -H 'Content-Type: application/json' \
  -d '{"name": "cpu", "partitions": 2}')
echo "$out"; check '"name":"cpu"' "$out"

# 2. push three samples (partition = hash of the series, so one series stays in order in one partition)
out=$(curl -sS -X POST "$BASE/v1/topics/cpu/records" -H 'Content-Type: application/json' -d '{"records": [
  {"name": "cpu.usage", "tags": {"host": "web-1"}, "value": 0.42, "timestamp": '"$NOW"'},
  {"name": "cpu.usage", "tags": {"host": "web-1"}, "value": 0.57, "timestamp": '"$((NOW + 1000))"'},
  {"name": "cpu.usage", "tags": {"host": "web-2"}, "value": 0.13, "timestamp": '"$((NOW + 2000))"'}]}')
echo "$out"; check '"offsets"' "$out"

# 3. read partition 1 by offset (cpu.usage{host=web-1} hashes to partition 1 of 2)
out=$(curl -sS "$BASE/v1/topics/cpu/partitions/1/records?offset=0")
echo "$out"; check '"value":0.42' "$out"; check '"value":0.57' "$out"

# 4. read by time across all partitions, only host web-1
out=$(curl -sS "$BASE/v1/topics/cpu/records?from=$NOW&to=$((NOW + 60000))&name=cpu.usage&tag=host:web-1")
echo "$out"; check '"count":2' "$out"

# 5. the topic, its partitions and where their data lives (hot/cold)
out=$(curl -sS "$BASE/v1/topics/cpu")
echo "$out"; check '"highWatermark":2' "$out"
echo "quickstart OK"
