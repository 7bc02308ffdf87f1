#!/usr/bin/env bash
# Copies botocore's service models (the wire contract boto3 and the aws CLI use) into models/.
# Run with the botocore version pinned in requirements-test.txt installed; commit the result.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
data=$(python3 -c 'import botocore, os; print(os.path.join(os.path.dirname(botocore.__file__), "data"))')
ver=$(python3 -c 'import botocore; print(botocore.__version__)')
for svc in iam sts organizations s3 kms cloudtrail proton imagebuilder ec2 ecs cloudformation; do
  src=$(ls -d "$data/$svc"/*/ | sort | tail -1)
  api=$(basename "$src")
  mkdir -p "$here/$svc/$api"
  cp "$src/service-2.json.gz" "$here/$svc/$api/service-2.json.gz"
done
echo "$ver" > "$here/BOTOCORE_VERSION"
