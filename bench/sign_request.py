"""Prints wrk arguments for one SigV4-signed GET request, signed now with botocore.

usage: sign_request.py ENDPOINT SERVICE PATH_AND_QUERY KEY_ID SECRET
Prints a JSON object {"url": ..., "headers": {...}}. A header-signed request stays valid for
the 15-minute skew window, so wrk can replay it for a bounded run.
"""

import json
import sys

import botocore.auth
import botocore.awsrequest
import botocore.credentials

endpoint, service, path, key_id, secret = sys.argv[1:6]
req = botocore.awsrequest.AWSRequest(method="GET", url=endpoint + path)
# S3 signs with x-amz-content-sha256 (S3SigV4Auth); other services with the plain signer.
signer = botocore.auth.S3SigV4Auth if service == "s3" else botocore.auth.SigV4Auth
signer(botocore.credentials.Credentials(key_id, secret), service, "us-east-1").add_auth(req)
prepared = req.prepare()
print(json.dumps({"url": prepared.url, "headers": {k: v for k, v in prepared.headers.items()}}))
