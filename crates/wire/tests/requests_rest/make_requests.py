#!/usr/bin/env python3
"""Captures the HTTP requests botocore's own clients send for REST operations (s3, imagebuilder)
and writes one fixture per case into this directory: <case>.json with the request as sent and the
input Value our decoder must produce (the call's parameters with timestamps as epoch seconds,
blobs as base64, streaming payloads left out).

The HTTP layer is stubbed with a `before-send` handler, so nothing leaves the process.
Run: python3 crates/wire/tests/requests_rest/make_requests.py
"""
import base64
import datetime
import json
import os
import sys
import urllib.parse

import botocore.session
from botocore.awsrequest import AWSResponse
from botocore.config import Config

HERE = os.path.dirname(os.path.abspath(__file__))
ENDPOINT = "http://127.0.0.1:4566"

T0 = datetime.datetime(2026, 11, 23, 8, 56, 26, tzinfo=datetime.timezone.utc)

ARN = "arn:aws:imagebuilder:us-east-1:123456789012:image-pipeline/tutorial-pipeline"
IMAGE_ARN = "arn:aws:imagebuilder:us-east-1:123456789012:image/tutorial-image/1.0.0/1"

# (case, service, operation, params, streaming payload member or None, client config)
CASES = [
    ("s3_create_bucket_plain", "s3", "CreateBucket", {"Bucket": "productionapp"}, None, {}),
    ("s3_create_bucket_region", "s3", "CreateBucket", {
        "Bucket": "productionapp-eu",
        "CreateBucketConfiguration": {"LocationConstraint": "eu-west-1"},
        "ACL": "private",
    }, None, {}),
    ("s3_head_bucket", "s3", "HeadBucket", {"Bucket": "productionapp", "ExpectedBucketOwner": "123456789012"}, None, {}),
    ("s3_list_buckets", "s3", "ListBuckets", {"MaxBuckets": 10, "Prefix": "prod"}, None, {}),
    ("s3_list_objects_v2", "s3", "ListObjectsV2", {
        "Bucket": "productionapp", "Prefix": "logs/2026 11/", "Delimiter": "/", "MaxKeys": 100,
        "ContinuationToken": "tok+en/=", "FetchOwner": True, "StartAfter": "logs/a",
    }, None, {}),
    ("s3_list_objects_v1", "s3", "ListObjects", {"Bucket": "productionapp", "Marker": "m", "MaxKeys": 5}, None, {}),
    ("s3_put_object", "s3", "PutObject", {
        "Bucket": "productionapp", "Key": "reports/2026/q4 summary+final.txt", "Body": b"hello world",
        "ContentType": "text/plain", "Metadata": {"owner": "jane", "team": "updateapp"},
        "Tagging": "env=prod&team=a", "ServerSideEncryption": "AES256", "StorageClass": "STANDARD",
        "CacheControl": "no-cache",
    }, "Body", {}),
    ("s3_put_object_virtual_host", "s3", "PutObject", {
        "Bucket": "productionapp", "Key": "a/b/c.txt", "Body": b"x",
    }, "Body", {"addressing_style": "virtual", "endpoint": "http://s3.localhost.localstack.cloud:4566"}),
    ("s3_list_objects_v2_virtual_host", "s3", "ListObjectsV2", {"Bucket": "productionapp", "Prefix": "a/"},
     None, {"addressing_style": "virtual", "endpoint": "http://localhost:4566"}),
    ("s3_get_object_range", "s3", "GetObject", {
        "Bucket": "productionapp", "Key": "reports/q4.txt", "Range": "bytes=0-99",
        "IfModifiedSince": T0, "IfNoneMatch": "\"etag\"", "ResponseContentType": "text/csv",
        "VersionId": "v1", "PartNumber": 2,
    }, None, {}),
    ("s3_head_object", "s3", "HeadObject", {"Bucket": "productionapp", "Key": "k", "IfUnmodifiedSince": T0}, None, {}),
    ("s3_delete_object", "s3", "DeleteObject", {"Bucket": "productionapp", "Key": "dir/k", "VersionId": "v2"}, None, {}),
    ("s3_delete_objects", "s3", "DeleteObjects", {
        "Bucket": "productionapp",
        "Delete": {"Objects": [{"Key": "a.txt"}, {"Key": "b & c.txt", "VersionId": "v3"}], "Quiet": True},
    }, None, {}),
    ("s3_copy_object", "s3", "CopyObject", {
        "Bucket": "productionapp", "Key": "copy.txt", "CopySource": "source-bucket/orig.txt",
        "MetadataDirective": "REPLACE", "Metadata": {"k": "v"},
    }, None, {}),
    ("s3_create_multipart_upload", "s3", "CreateMultipartUpload", {
        "Bucket": "productionapp", "Key": "big.bin", "ContentType": "application/octet-stream",
    }, None, {}),
    ("s3_upload_part", "s3", "UploadPart", {
        "Bucket": "productionapp", "Key": "big.bin", "PartNumber": 1, "UploadId": "upl-1", "Body": b"part-1",
    }, "Body", {}),
    ("s3_upload_part_copy", "s3", "UploadPartCopy", {
        "Bucket": "productionapp", "Key": "big.bin", "PartNumber": 2, "UploadId": "upl-1",
        "CopySource": "source-bucket/orig.txt", "CopySourceRange": "bytes=0-9",
    }, None, {}),
    ("s3_complete_multipart_upload", "s3", "CompleteMultipartUpload", {
        "Bucket": "productionapp", "Key": "big.bin", "UploadId": "upl-1",
        "MultipartUpload": {"Parts": [{"PartNumber": 1, "ETag": "\"e1\""}, {"PartNumber": 2, "ETag": "\"e2\""}]},
    }, None, {}),
    ("s3_abort_multipart_upload", "s3", "AbortMultipartUpload", {"Bucket": "productionapp", "Key": "big.bin", "UploadId": "upl-1"}, None, {}),
    ("s3_list_parts", "s3", "ListParts", {"Bucket": "productionapp", "Key": "big.bin", "UploadId": "upl-1", "MaxParts": 3}, None, {}),
    ("s3_list_multipart_uploads", "s3", "ListMultipartUploads", {"Bucket": "productionapp", "Prefix": "b"}, None, {}),
    ("s3_put_bucket_policy", "s3", "PutBucketPolicy", {
        "Bucket": "productionapp",
        "Policy": json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::productionapp/*"}]}),
    }, None, {}),
    ("s3_get_bucket_policy", "s3", "GetBucketPolicy", {"Bucket": "productionapp"}, None, {}),
    ("s3_delete_bucket_policy", "s3", "DeleteBucketPolicy", {"Bucket": "productionapp"}, None, {}),
    ("s3_put_bucket_tagging", "s3", "PutBucketTagging", {
        "Bucket": "productionapp", "Tagging": {"TagSet": [{"Key": "env", "Value": "prod"}, {"Key": "team", "Value": "a<b"}]},
    }, None, {}),
    ("s3_get_bucket_tagging", "s3", "GetBucketTagging", {"Bucket": "productionapp"}, None, {}),
    ("s3_put_object_tagging", "s3", "PutObjectTagging", {
        "Bucket": "productionapp", "Key": "k", "Tagging": {"TagSet": [{"Key": "a", "Value": "1"}]},
    }, None, {}),
    ("s3_get_bucket_location", "s3", "GetBucketLocation", {"Bucket": "productionapp"}, None, {}),
    ("s3_put_bucket_versioning", "s3", "PutBucketVersioning", {
        "Bucket": "productionapp", "VersioningConfiguration": {"Status": "Enabled"},
    }, None, {}),
    ("s3_put_public_access_block", "s3", "PutPublicAccessBlock", {
        "Bucket": "productionapp",
        "PublicAccessBlockConfiguration": {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": False, "RestrictPublicBuckets": True},
    }, None, {}),
    ("s3_put_bucket_acl_grants", "s3", "PutBucketAcl", {
        "Bucket": "productionapp",
        "AccessControlPolicy": {
            "Grants": [{"Grantee": {"Type": "CanonicalUser", "ID": "abc123"}, "Permission": "READ"}],
            "Owner": {"ID": "abc123", "DisplayName": "jane"},
        },
    }, None, {}),
    ("s3_put_bucket_lifecycle", "s3", "PutBucketLifecycleConfiguration", {
        "Bucket": "productionapp",
        "LifecycleConfiguration": {"Rules": [{"ID": "expire", "Status": "Enabled", "Filter": {"Prefix": "tmp/"}, "Expiration": {"Days": 7}}]},
    }, None, {}),
    ("ib_create_image_pipeline", "imagebuilder", "CreateImagePipeline", {
        "name": "tutorial-pipeline", "description": "UpdateApp image",
        "imageRecipeArn": "arn:aws:imagebuilder:us-east-1:123456789012:image-recipe/r/1.0.0",
        "infrastructureConfigurationArn": "arn:aws:imagebuilder:us-east-1:123456789012:infrastructure-configuration/i",
        "distributionConfigurationArn": "arn:aws:imagebuilder:us-east-1:123456789012:distribution-configuration/d",
        "imageTestsConfiguration": {"imageTestsEnabled": True, "timeoutMinutes": 90},
        "schedule": {"scheduleExpression": "cron(0 0 * * ? *)", "pipelineExecutionStartCondition": "EXPRESSION_MATCH_ONLY"},
        "status": "ENABLED", "tags": {"team": "david"}, "clientToken": "token-1",
    }, None, {}),
    ("ib_create_distribution_configuration", "imagebuilder", "CreateDistributionConfiguration", {
        "name": "cross-account", "clientToken": "token-2",
        "distributions": [{
            "region": "us-east-1",
            "amiDistributionConfiguration": {
                "name": "ami-{{ imagebuilder:buildDate }}",
                "targetAccountIds": ["111122223333", "444455556666"],
                "launchPermission": {"userIds": ["111122223333"]},
            },
        }],
    }, None, {}),
    ("ib_get_image", "imagebuilder", "GetImage", {"imageBuildVersionArn": IMAGE_ARN}, None, {}),
    ("ib_get_image_pipeline", "imagebuilder", "GetImagePipeline", {"imagePipelineArn": ARN}, None, {}),
    ("ib_list_images", "imagebuilder", "ListImages", {
        "owner": "Self", "maxResults": 25, "filters": [{"name": "name", "values": ["tutorial-image"]}], "includeDeprecated": False,
    }, None, {}),
    ("ib_delete_image_pipeline", "imagebuilder", "DeleteImagePipeline", {"imagePipelineArn": ARN}, None, {}),
    ("ib_start_image_pipeline_execution", "imagebuilder", "StartImagePipelineExecution", {"imagePipelineArn": ARN, "clientToken": "t3"}, None, {}),
    ("ib_tag_resource", "imagebuilder", "TagResource", {"resourceArn": ARN, "tags": {"a": "1", "b": "2"}}, None, {}),
    ("ib_untag_resource", "imagebuilder", "UntagResource", {"resourceArn": ARN, "tagKeys": ["a", "b"]}, None, {}),
    ("ib_list_tags_for_resource", "imagebuilder", "ListTagsForResource", {"resourceArn": ARN}, None, {}),
]


VOLATILE = {"user-agent", "x-amz-date", "authorization", "amz-sdk-invocation-id", "x-amz-content-sha256"}


class _Raw:
    def __init__(self, body):
        self._body = body

    def stream(self, **_kw):
        yield self._body


def expected_value(value):
    """Our Value conventions applied to botocore input parameters."""
    if isinstance(value, dict):
        return {k: expected_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [expected_value(v) for v in value]
    if isinstance(value, datetime.datetime):
        return int(value.timestamp()) if value.timestamp() == int(value.timestamp()) else value.timestamp()
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(value).decode()
    return value


def capture(service, operation, params, config):
    session = botocore.session.get_session()
    cfg = Config(
        s3={"addressing_style": config.get("addressing_style", "path")},
        retries={"max_attempts": 1},
    )
    client = session.create_client(
        service, region_name="us-east-1", endpoint_url=config.get("endpoint", ENDPOINT),
        aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="secret", config=cfg,
    )
    seen = {}

    def before_send(request, **_kw):
        seen["request"] = request
        body = b"{}" if service == "imagebuilder" else b""
        return AWSResponse(request.url, 200, {}, _Raw(body))

    client.meta.events.register("before-send", before_send)
    method = getattr(client, botocore.xform_name(operation))
    try:
        method(**params)
    except Exception as exc:  # the stub's empty answer may not parse; the request is what we want
        if "request" not in seen:
            raise RuntimeError(f"{operation}: no request captured: {exc}") from exc
    return seen["request"]


def main():
    written = 0
    for case, service, operation, params, streaming, config in CASES:
        req = capture(service, operation, params, config)
        url = urllib.parse.urlsplit(req.url)
        body = req.body
        if body is None:
            body = b""
        elif hasattr(body, "read"):
            body = body.read()
        elif isinstance(body, str):
            body = body.encode()
        # Volatile headers (clock, signature, invocation id, version) are dropped so that
        # regenerating changes nothing; they play no part in decoding.
        headers = [
            [k, v.decode() if isinstance(v, bytes) else str(v)]
            for k, v in req.headers.items()
            if k.lower() not in VOLATILE
        ]
        expect = {k: v for k, v in params.items() if k != streaming}
        fixture = {
            "service": service,
            "operation": operation,
            "request": {
                "method": req.method,
                "host": url.netloc,
                "path": url.path or "/",
                "query": url.query,
                "headers": headers,
                "body_base64": base64.b64encode(body).decode(),
            },
            "streaming_member": streaming,
            "expect": expected_value(expect),
        }
        with open(os.path.join(HERE, f"{case}.json"), "w") as f:
            json.dump(fixture, f, indent=1, sort_keys=True)
            f.write("\n")
        written += 1
    print(f"wrote {written} request fixtures (botocore {botocore.__version__})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
