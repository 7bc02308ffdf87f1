"""Prints wrk arguments for one SigV4-signed request, signed now with botocore.

usage: sign_request.py ENDPOINT SERVICE PATH_AND_QUERY KEY_ID SECRET [METHOD BODY [HEADER:VALUE ...]]
Prints a JSON object {"url": ..., "method": ..., "body": ..., "headers": {...}}. A
header-signed request stays valid for the 15-minute skew window, so wrk can replay it for a
bounded run. Without METHOD the request is a GET with no body.
"""

import json
import sys

import botocore.auth
import botocore.awsrequest
import botocore.credentials

endpoint, service, path, key_id, secret = sys.argv[1:6]
method = sys.argv[6] if len(sys.argv) > 6 else "GET"
body = sys.argv[7] if len(sys.argv) > 7 else ""
headers = dict(h.split(":", 1) for h in sys.argv[8:])
req = botocore.awsrequest.AWSRequest(method=method, url=endpoint + path, data=body.encode(), headers=headers)
# S3 signs with x-amz-content-sha256 (S3SigV4Auth); other services with the plain signer.
signer = botocore.auth.S3SigV4Auth if service == "s3" else botocore.auth.SigV4Auth
signer(botocore.credentials.Credentials(key_id, secret), service, "us-east-1").add_auth(req)
prepared = req.prepare()
print(json.dumps({
    "url": prepared.url,
    "method": method,
    "body": body,
    "headers": {k: v for k, v in prepared.headers.items()},
}))
