#!/usr/bin/env python3
"""Generates tests/botocore_vectors.json: requests signed by botocore's own SigV4 signers
(SigV4Auth, S3SigV4Auth, SigV4QueryAuth, S3SigV4QueryAuth) with fixed credentials and time, as
they go on the wire. tests/botocore.rs verifies every one with xacct-sigv4's verify().

Run once with botocore installed and commit the output:
    python3 crates/sigv4/tests/gen_botocore_vectors.py > crates/sigv4/tests/botocore_vectors.json
"""

import base64
import datetime
import io
import json
import sys
import types
from unittest import mock
from urllib.parse import urlsplit

import botocore
import botocore.auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.httpchecksum import AwsChunkedWrapper, Crc32Checksum

ACCESS_KEY = "AKIAIOSFODNN7EXAMPLE"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
SESSION_TOKEN = "FwoGZXIvYXdzEXAMPLE//////////wEaDEXAMPLETOKEN+/="
NOW = datetime.datetime(2024, 5, 17, 9, 30, 15)
NOW_UNIX = int(NOW.replace(tzinfo=datetime.timezone.utc).timestamp())


def signed(signer, method, url, headers=None, body=b"", context=None):
    request = AWSRequest(method=method, url=url, headers=headers or {}, data=body)
    if context:
        request.context.update(context)
    with mock.patch.object(botocore.auth, "get_current_datetime", return_value=NOW):
        signer.add_auth(request)
    prepared = request.prepare()
    parts = urlsplit(prepared.url)
    wire_headers = [[k, v] for k, v in prepared.headers.items()]
    if not any(k.lower() == "host" for k, _ in wire_headers):
        wire_headers.insert(0, ["Host", parts.netloc])
    data = prepared.body or b""
    if isinstance(data, str):
        data = data.encode()
    return {
        "method": prepared.method,
        "path": parts.path,
        "query": parts.query,
        "headers": wire_headers,
        "body_base64": base64.b64encode(data).decode(),
    }


def main():
    creds = Credentials(ACCESS_KEY, SECRET_KEY)
    temp = Credentials(ACCESS_KEY, SECRET_KEY, SESSION_TOKEN)
    vectors = []

    def add(name, service, vector, expect_payload):
        vector.update(name=name, service=service, now_unix=NOW_UNIX, secret=SECRET_KEY,
                      access_key_id=ACCESS_KEY, expect_payload=expect_payload)
        vectors.append(vector)

    form = b"Action=AssumeRole&RoleArn=arn%3Aaws%3Aiam%3A%3A111122223333%3Arole%2Fdemo&RoleSessionName=s%201&Version=2011-06-15"
    add("sts-assume-role-form-post", "sts", signed(
        botocore.auth.SigV4Auth(temp, "sts", "us-east-1"), "POST", "http://127.0.0.1:4566/",
        {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}, form), "FromBody")

    add("iam-list-users-query-get", "iam", signed(
        botocore.auth.SigV4Auth(creds, "iam", "us-east-1"), "GET",
        "http://127.0.0.1:4566/?Action=ListUsers&Version=2010-05-08&PathPrefix=%2Fdivision_abc%2F&MaxItems=10"),
        "FromBody")

    add("kms-json-post", "kms", signed(
        botocore.auth.SigV4Auth(creds, "kms", "eu-west-3"), "POST", "http://127.0.0.1:4566/",
        {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "TrentService.ListKeys"},
        b'{"Limit": 5}'), "FromBody")

    add("s3-get-unsigned-payload", "s3", signed(
        botocore.auth.S3SigV4Auth(creds, "s3", "us-east-1"), "GET",
        "https://127.0.0.1:4566/my-bucket/photos/2024/my%20cat%20%2B%20dog~%C3%BC.jpg?versionId=3%2FL4kqtJl&response-content-type=image%2Fjpeg",
        {"Range": "bytes=0-9"},
        context={"client_config": types.SimpleNamespace(s3={"payload_signing_enabled": False})}),
        "Unsigned")

    # Flexible checksums: botocore frames the body with AwsChunkedWrapper and signs the seed with
    # STREAMING-UNSIGNED-PAYLOAD-TRAILER.
    payload = bytes(range(256)) * 100
    chunked = AwsChunkedWrapper(io.BytesIO(payload), checksum_cls=Crc32Checksum,
                                checksum_name="x-amz-checksum-crc32", chunk_size=8192).read()
    vector = signed(
        botocore.auth.S3SigV4Auth(creds, "s3", "us-east-1"), "PUT",
        "https://127.0.0.1:4566/my-bucket/big.bin",
        {"Content-Encoding": "aws-chunked", "X-Amz-Trailer": "x-amz-checksum-crc32",
         "X-Amz-Decoded-Content-Length": str(len(payload))},
        chunked,
        context={"checksum": {"request_algorithm": {"in": "trailer", "name": "x-amz-checksum-crc32"}}})
    vector["decoded_base64"] = base64.b64encode(payload).decode()
    add("s3-put-unsigned-trailer-crc32", "s3", vector, "Streaming")

    add("s3-put-signed-payload", "s3", signed(
        botocore.auth.S3SigV4Auth(temp, "s3", "us-west-2"), "PUT",
        "http://127.0.0.1:4566/my-bucket/notes//double-slash/../dots.txt",
        {"Content-Type": "text/plain", "x-amz-meta-owner": "Jane  Doe", "Content-MD5": "XrY7u+Ae7tCTyyK7j1rNww=="},
        b"hello world"), "Hash")

    add("s3-list-objects-v2", "s3", signed(
        botocore.auth.S3SigV4Auth(creds, "s3", "us-east-1"), "GET",
        "http://127.0.0.1:4566/my-bucket?list-type=2&prefix=a%20b%2F&delimiter=%2F&encoding-type=url"),
        "Hash")

    presign = botocore.auth.S3SigV4QueryAuth(creds, "s3", "us-east-1", expires=3600)
    add("s3-presigned-get", "s3", signed(
        presign, "GET", "https://127.0.0.1:4566/my-bucket/reports/q1%20final.pdf"), "Unsigned")

    presign_tok = botocore.auth.S3SigV4QueryAuth(temp, "s3", "us-east-1", expires=604800)
    add("s3-presigned-put-with-token", "s3", signed(
        presign_tok, "PUT", "https://127.0.0.1:4566/my-bucket/upload.bin"), "Unsigned")

    sts_presign = botocore.auth.SigV4QueryAuth(temp, "sts", "us-east-1", expires=60)
    add("sts-presigned-get-caller-identity", "sts", signed(
        sts_presign, "GET",
        "https://127.0.0.1:4566/?Action=GetCallerIdentity&Version=2011-06-15",
        {"x-k8s-aws-id": "my-cluster"}), "FromBody")

    json.dump({"botocore_version": botocore.__version__, "vectors": vectors}, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
