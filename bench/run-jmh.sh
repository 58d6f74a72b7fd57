#!/usr/bin/env bash
# One command for the JMH benchmarks: builds and installs the service, builds bench/, runs JMH.
# Extra arguments go to JMH (e.g. `bench/run-jmh.sh PolicyBenchmark -f 1`).
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B -q install -DskipTests
mvn -B -q -f bench/pom.xml package
mkdir -p bench/results
if [ "$#" -eq 0 ]; then set -- -f 1 -wi 2 -i 3 -w 2s -r 2s; fi
java -jar bench/target/benchmarks.jar -rf json -rff bench/results/jmh.json "$@"
