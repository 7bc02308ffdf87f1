"""Amazon S3 through the real aws CLI (`aws s3 mb/ls/cp/rm`, `aws s3api`) and boto3.

The tutorial's Production account (999999999999) owns the bucket productionapp; Development
(111111111111) is the other side of every cross-account case. Uploads use what current clients
send by default (CRC checksums, aws-chunked bodies with trailers); large files go multipart.
"""

import base64
import hashlib
import json
import os
import urllib.request

import boto3
import botocore.config
import botocore.exceptions
import pytest

from conftest import create_account, make_server

DEV = "111111111111"
PROD = "999999999999"


def error_of(excinfo):
    r = excinfo.value.response
    return r["Error"]["Code"], r["ResponseMetadata"]["HTTPStatusCode"], r["Error"].get("Message", "")


@pytest.fixture(scope="module")
def world(tmp_root):
    s = make_server(tmp_root).start()
    s.prod = create_account(s, PROD, "Production")
    s.dev = create_account(s, DEV, "Development")
    yield s
    s.stop()


def s3(server, keys, region="us-east-1", addressing_style=None):
    if addressing_style is None:
        return server.client("s3", key_id=keys[0], secret=keys[1], region=region)
    return boto3.session.Session(
        aws_access_key_id=keys[0], aws_secret_access_key=keys[1], region_name=region,
    ).client("s3", endpoint_url=server.endpoint.replace("127.0.0.1", "localhost"), config=botocore.config.Config(
        retries={"max_attempts": 1}, signature_version="s3v4", s3={"addressing_style": addressing_style}))


def env_for(s, keys):
    return s.client_env(key_id=keys[0], secret=keys[1])


def cli(s, env, *args):
    """`aws s3 …` (text output): asserts success, returns stdout."""
    proc = s.aws(*args, env=env, check=False)
    assert proc.returncode == 0, f"aws {' '.join(args)}: {proc.stderr}\n{s.log()}"
    return proc.stdout


def write_file(path, size, seed=b"productionapp"):
    block = hashlib.sha256(seed).digest() * 2048  # 64 KiB of varied bytes
    with open(path, "wb") as f:
        left = size
        while left > 0:
            f.write(block[: min(left, len(block))])
            left -= min(left, len(block))
    return path


def crc32c_b64(data):
    crc = 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
    return base64.b64encode((crc ^ 0xFFFFFFFF).to_bytes(4, "big")).decode()


def md5_file(path):
    h = hashlib.md5()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


# ---------------------------------------------------------------- aws s3 high-level commands


def test_aws_s3_mb_ls_cp_rm_round_trip_including_multipart(world, tmp_path):
    s = world
    env = env_for(s, s.prod)
    cli(s, env, "s3", "mb", "s3://productionapp")
    small = write_file(tmp_path / "index.html", 3000)
    big = write_file(tmp_path / "release.tar", 20 * 1024 * 1024 + 123)  # above 8 MiB: multipart
    cli(s, env, "s3", "cp", str(small), "s3://productionapp/site/index.html")
    cli(s, env, "s3", "cp", str(big), "s3://productionapp/releases/release.tar")

    ls = cli(s, env, "s3", "ls", "s3://productionapp/")
    assert "PRE releases/" in ls and "PRE site/" in ls
    rec = cli(s, env, "s3", "ls", "s3://productionapp", "--recursive")
    assert "site/index.html" in rec and str(20 * 1024 * 1024 + 123) in rec

    back = tmp_path / "back.tar"
    cli(s, env, "s3", "cp", "s3://productionapp/releases/release.tar", str(back))
    assert md5_file(back) == md5_file(big)
    head = s.aws("s3api", "head-object", "--bucket", "productionapp", "--key", "releases/release.tar", env=env)
    assert head["ContentLength"] == 20 * 1024 * 1024 + 123
    # The multipart ETag: MD5 of the parts' MD5s, then -N (8 MiB parts: 3 of them).
    with open(big, "rb") as f:
        parts = [hashlib.md5(f.read(8 * 1024 * 1024)).digest() for _ in range(3)]
    assert head["ETag"] == '"%s-3"' % hashlib.md5(b"".join(parts)).hexdigest()

    # A server-side copy above 8 MiB is a multipart copy (UploadPartCopy).
    cli(s, env, "s3", "cp", "s3://productionapp/releases/release.tar", "s3://productionapp/archive/release.tar")
    copied = s.aws("s3api", "head-object", "--bucket", "productionapp", "--key", "archive/release.tar", env=env)
    assert copied["ContentLength"] == 20 * 1024 * 1024 + 123 and copied["ETag"].endswith('-3"')
    again = tmp_path / "again.tar"
    cli(s, env, "s3", "cp", "s3://productionapp/archive/release.tar", str(again))
    assert md5_file(again) == md5_file(big)

    assert "productionapp" in cli(s, env, "s3", "ls")
    cli(s, env, "s3", "rm", "s3://productionapp", "--recursive")
    cli(s, env, "s3", "rb", "s3://productionapp")
    assert "productionapp" not in cli(s, env, "s3", "ls")


# ---------------------------------------------------------------- objects with boto3


@pytest.fixture()
def bucket(world):
    c = s3(world, world.prod)
    c.create_bucket(Bucket="productionapp")
    yield c
    for page in c.get_paginator("list_objects_v2").paginate(Bucket="productionapp"):
        keys = [{"Key": o["Key"]} for o in page.get("Contents", [])]
        if keys:
            c.delete_objects(Bucket="productionapp", Delete={"Objects": keys})
    for u in c.list_multipart_uploads(Bucket="productionapp").get("Uploads", []):
        c.abort_multipart_upload(Bucket="productionapp", Key=u["Key"], UploadId=u["UploadId"])
    c.delete_bucket(Bucket="productionapp")


def test_put_get_head_with_metadata_range_and_checksums(bucket):
    c = bucket
    body = b"0123456789" * 100
    put = c.put_object(Bucket="productionapp", Key="app/config.json", Body=body, ContentType="application/json",
                       Metadata={"Owner": "david"}, ChecksumAlgorithm="SHA256")
    assert put["ETag"] == '"%s"' % hashlib.md5(body).hexdigest()
    assert "ChecksumSHA256" in put
    got = c.get_object(Bucket="productionapp", Key="app/config.json")
    assert got["Body"].read() == body
    assert got["ContentType"] == "application/json"
    assert got["Metadata"] == {"owner": "david"}
    part = c.get_object(Bucket="productionapp", Key="app/config.json", Range="bytes=10-19")
    assert part["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert part["ContentRange"] == "bytes 10-19/1000"
    assert part["Body"].read() == b"0123456789"
    tail = c.get_object(Bucket="productionapp", Key="app/config.json", Range="bytes=-5")
    assert tail["Body"].read() == b"56789"
    head = c.head_object(Bucket="productionapp", Key="app/config.json", ChecksumMode="ENABLED")
    assert head["ContentLength"] == 1000 and head["ChecksumSHA256"] == put["ChecksumSHA256"]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        c.get_object(Bucket="productionapp", Key="app/config.json", Range="bytes=5000-")
    assert error_of(e)[:2] == ("InvalidRange", 416)
    # Every default checksum botocore sends verifies; a wrong one is refused and changes nothing.
    for alg in ("CRC32", "SHA1", "SHA256"):
        c.put_object(Bucket="productionapp", Key=f"sum/{alg}", Body=b"abc", ChecksumAlgorithm=alg)
    # CRC32C needs botocore[crt] to compute: send the value ourselves.
    out = c.put_object(Bucket="productionapp", Key="sum/CRC32C", Body=b"abc", ChecksumCRC32C=crc32c_b64(b"abc"))
    assert out["ChecksumCRC32C"] == crc32c_b64(b"abc")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        c.put_object(Bucket="productionapp", Key="sum/bad", Body=b"abc", ChecksumCRC32="AAAAAA==")
    assert error_of(e)[0] == "BadDigest"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        c.head_object(Bucket="productionapp", Key="sum/bad")
    assert error_of(e)[1] == 404


def test_listing_v2_and_v1(bucket):
    c = bucket
    for k in ["a/1", "a/2", "b/1", "c", "d/e/f"]:
        c.put_object(Bucket="productionapp", Key=k, Body=b"x")
    out = c.list_objects_v2(Bucket="productionapp", Delimiter="/")
    assert [o["Key"] for o in out["Contents"]] == ["c"]
    assert [p["Prefix"] for p in out["CommonPrefixes"]] == ["a/", "b/", "d/"]
    assert out["KeyCount"] == 4
    out = c.list_objects_v2(Bucket="productionapp", Prefix="a/")
    assert [o["Key"] for o in out["Contents"]] == ["a/1", "a/2"]
    keys = []
    for page in c.get_paginator("list_objects_v2").paginate(Bucket="productionapp", PaginationConfig={"PageSize": 2}):
        keys += [o["Key"] for o in page.get("Contents", [])]
    assert keys == ["a/1", "a/2", "b/1", "c", "d/e/f"]
    out = c.list_objects_v2(Bucket="productionapp", StartAfter="b/1")
    assert [o["Key"] for o in out["Contents"]] == ["c", "d/e/f"]
    out = c.list_objects_v2(Bucket="productionapp", MaxKeys=2, Delimiter="/")
    assert out["IsTruncated"] and out["KeyCount"] == 2
    out2 = c.list_objects_v2(Bucket="productionapp", Delimiter="/", ContinuationToken=out["NextContinuationToken"])
    assert [p["Prefix"] for p in out2.get("CommonPrefixes", [])] + [o["Key"] for o in out2.get("Contents", [])] == ["d/", "c"]
    v1 = c.list_objects(Bucket="productionapp", Delimiter="/", MaxKeys=1)
    assert v1["IsTruncated"] and v1["NextMarker"] == "a/"
    v1 = c.list_objects(Bucket="productionapp", Marker="c")
    assert [o["Key"] for o in v1["Contents"]] == ["d/e/f"]


def test_copy_delete_objects_and_errors(bucket, world):
    c = bucket
    c.put_object(Bucket="productionapp", Key="src", Body=b"hello", Metadata={"k": "v"})
    out = c.copy_object(Bucket="productionapp", Key="dst", CopySource="productionapp/src")
    assert out["CopyObjectResult"]["ETag"] == '"%s"' % hashlib.md5(b"hello").hexdigest()
    got = c.get_object(Bucket="productionapp", Key="dst")
    assert got["Body"].read() == b"hello" and got["Metadata"] == {"k": "v"}
    with pytest.raises(botocore.exceptions.ClientError) as e:
        c.copy_object(Bucket="productionapp", Key="src", CopySource="productionapp/src")
    assert error_of(e)[0] == "InvalidRequest"
    res = c.delete_objects(Bucket="productionapp", Delete={"Objects": [{"Key": "src"}, {"Key": "dst"}, {"Key": "nope"}]})
    assert sorted(d["Key"] for d in res["Deleted"]) == ["dst", "nope", "src"]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        c.get_object(Bucket="productionapp", Key="src")
    assert error_of(e)[:2] == ("NoSuchKey", 404)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        c.get_object(Bucket="nosuchbucket-xacct", Key="k")
    assert error_of(e)[:2] == ("NoSuchBucket", 404)
    c.put_object(Bucket="productionapp", Key="keep", Body=b"1")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        c.delete_bucket(Bucket="productionapp")
    assert error_of(e)[:2] == ("BucketNotEmpty", 409)


def test_bucket_rules_names_regions_policy_and_tags(world):
    s = world
    prod, dev = s3(s, s.prod), s3(s, s.dev)
    prod.create_bucket(Bucket="xacct-rules")
    try:
        # Global names: another account's name is taken; us-east-1 re-creation by the owner is a no-op.
        with pytest.raises(botocore.exceptions.ClientError) as e:
            dev.create_bucket(Bucket="xacct-rules")
        assert error_of(e)[:2] == ("BucketAlreadyExists", 409)
        prod.create_bucket(Bucket="xacct-rules")
        eu = s3(s, s.prod, region="eu-west-1")
        eu.create_bucket(Bucket="xacct-rules-eu", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        with pytest.raises(botocore.exceptions.ClientError) as e:
            eu.create_bucket(Bucket="xacct-rules-eu", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        assert error_of(e)[:2] == ("BucketAlreadyOwnedByYou", 409)
        assert eu.get_bucket_location(Bucket="xacct-rules-eu")["LocationConstraint"] == "eu-west-1"
        assert prod.get_bucket_location(Bucket="xacct-rules")["LocationConstraint"] is None
        eu.delete_bucket(Bucket="xacct-rules-eu")
        with pytest.raises(botocore.exceptions.ClientError) as e:
            prod.create_bucket(Bucket="Bad_Name")
        assert error_of(e)[0] == "InvalidBucketName"
        # ListBuckets shows the caller's account's buckets only.
        assert "xacct-rules" in [b["Name"] for b in prod.list_buckets()["Buckets"]]
        assert "xacct-rules" not in [b["Name"] for b in dev.list_buckets()["Buckets"]]

        with pytest.raises(botocore.exceptions.ClientError) as e:
            prod.get_bucket_policy(Bucket="xacct-rules")
        assert error_of(e)[:2] == ("NoSuchBucketPolicy", 404)
        with pytest.raises(botocore.exceptions.ClientError) as e:
            prod.put_bucket_policy(Bucket="xacct-rules", Policy=json.dumps({"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::xacct-rules/*"}]}))
        assert error_of(e)[0] == "MalformedPolicy"
        prod.put_bucket_tagging(Bucket="xacct-rules", Tagging={"TagSet": [{"Key": "team", "Value": "prod"}]})
        assert prod.get_bucket_tagging(Bucket="xacct-rules")["TagSet"] == [{"Key": "team", "Value": "prod"}]
        prod.delete_bucket_tagging(Bucket="xacct-rules")
        with pytest.raises(botocore.exceptions.ClientError) as e:
            prod.get_bucket_tagging(Bucket="xacct-rules")
        assert error_of(e)[0] == "NoSuchTagSet"
    finally:
        prod.delete_bucket(Bucket="xacct-rules")


def test_cross_account_needs_the_bucket_policy_and_the_identity_policy(world):
    s = world
    prod = s3(s, s.prod)
    prod.create_bucket(Bucket="xacct-shared")
    prod.put_object(Bucket="xacct-shared", Key="report.csv", Body=b"a,b\n")
    iam = s.client("iam", key_id=s.dev[0], secret=s.dev[1])
    iam.create_user(UserName="Analyst")
    key = iam.create_access_key(UserName="Analyst")["AccessKey"]
    analyst = s3(s, (key["AccessKeyId"], key["SecretAccessKey"]))
    try:
        # Neither side allows yet. Both accounts are in the organization, so S3 explains.
        with pytest.raises(botocore.exceptions.ClientError) as e:
            analyst.get_object(Bucket="xacct-shared", Key="report.csv")
        assert error_of(e)[:2] == ("AccessDenied", 403)
        assert error_of(e)[2].startswith(f"User: arn:aws:iam::{DEV}:user/Analyst is not authorized to perform: "
                                         's3:GetObject on resource: "arn:aws:s3:::xacct-shared/report.csv"')
        # The bucket policy trusts Development, but Analyst's own policies do not allow it.
        prod.put_bucket_policy(Bucket="xacct-shared", Policy=json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{DEV}:root"}, "Action": "s3:GetObject",
             "Resource": "arn:aws:s3:::xacct-shared/*"}]}))
        with pytest.raises(botocore.exceptions.ClientError) as e:
            analyst.get_object(Bucket="xacct-shared", Key="report.csv")
        assert error_of(e)[:2] == ("AccessDenied", 403)
        iam.put_user_policy(UserName="Analyst", PolicyName="read-shared", PolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": "*"}]}))
        assert analyst.get_object(Bucket="xacct-shared", Key="report.csv")["Body"].read() == b"a,b\n"
        # Listing is not in the bucket policy: still denied.
        with pytest.raises(botocore.exceptions.ClientError) as e:
            analyst.list_objects_v2(Bucket="xacct-shared")
        assert error_of(e)[:2] == ("AccessDenied", 403)
        # In the owner's account an IAM user needs only its identity policy, and the denial is explained.
        piam = s.client("iam", key_id=s.prod[0], secret=s.prod[1])
        piam.create_user(UserName="Ops")
        pkey = piam.create_access_key(UserName="Ops")["AccessKey"]
        ops = s3(s, (pkey["AccessKeyId"], pkey["SecretAccessKey"]))
        with pytest.raises(botocore.exceptions.ClientError) as e:
            ops.list_objects_v2(Bucket="xacct-shared", Prefix="r")
        assert error_of(e)[2] == (f"User: arn:aws:iam::{PROD}:user/Ops is not authorized to perform: s3:ListBucket on resource: "
                                  "\"arn:aws:s3:::xacct-shared\" because no identity-based policy allows the s3:ListBucket action")
        piam.put_user_policy(UserName="Ops", PolicyName="list-r", PolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::xacct-shared",
                                                    "Condition": {"StringLike": {"s3:prefix": "r*"}}}]}))
        assert ops.list_objects_v2(Bucket="xacct-shared", Prefix="r")["KeyCount"] == 1
        with pytest.raises(botocore.exceptions.ClientError) as e:
            ops.list_objects_v2(Bucket="xacct-shared", Prefix="x")
        assert error_of(e)[:2] == ("AccessDenied", 403)
        # A missing key without s3:ListBucket (the bucket policy does not grant it across
        # accounts) is AccessDenied, not NoSuchKey.
        with pytest.raises(botocore.exceptions.ClientError) as e:
            analyst.get_object(Bucket="xacct-shared", Key="missing")
        assert error_of(e)[:2] == ("AccessDenied", 403)
    finally:
        prod.delete_bucket_policy(Bucket="xacct-shared")
        prod.delete_object(Bucket="xacct-shared", Key="report.csv")
        prod.delete_bucket(Bucket="xacct-shared")


def test_multipart_upload_errors_and_composite_checksum(bucket):
    c = bucket
    mpu = c.create_multipart_upload(Bucket="productionapp", Key="big.bin", ChecksumAlgorithm="CRC32")
    uid = mpu["UploadId"]
    p1 = c.upload_part(Bucket="productionapp", Key="big.bin", UploadId=uid, PartNumber=1, Body=b"a" * (5 * 1024 * 1024),
                       ChecksumAlgorithm="CRC32")
    p2 = c.upload_part(Bucket="productionapp", Key="big.bin", UploadId=uid, PartNumber=2, Body=b"b" * 10, ChecksumAlgorithm="CRC32")
    parts = c.list_parts(Bucket="productionapp", Key="big.bin", UploadId=uid)["Parts"]
    assert [(p["PartNumber"], p["Size"]) for p in parts] == [(1, 5 * 1024 * 1024), (2, 10)]
    assert [u["UploadId"] for u in c.list_multipart_uploads(Bucket="productionapp")["Uploads"]] == [uid]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        c.complete_multipart_upload(Bucket="productionapp", Key="big.bin", UploadId=uid,
                                    MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": '"00"'}]})
    assert error_of(e)[0] == "InvalidPart"
    done = c.complete_multipart_upload(Bucket="productionapp", Key="big.bin", UploadId=uid, MultipartUpload={"Parts": [
        {"PartNumber": 1, "ETag": p1["ETag"], "ChecksumCRC32": p1["ChecksumCRC32"]},
        {"PartNumber": 2, "ETag": p2["ETag"], "ChecksumCRC32": p2["ChecksumCRC32"]}]})
    assert done["ETag"].endswith('-2"') and done["ChecksumCRC32"].endswith("-2")
    got = c.get_object(Bucket="productionapp", Key="big.bin", Range="bytes=5242878-5242881")
    assert got["Body"].read() == b"aabb"
    assert c.get_object(Bucket="productionapp", Key="big.bin", PartNumber=2)["Body"].read() == b"b" * 10
    with pytest.raises(botocore.exceptions.ClientError) as e:
        c.upload_part(Bucket="productionapp", Key="big.bin", UploadId=uid, PartNumber=3, Body=b"x")
    assert error_of(e)[:2] == ("NoSuchUpload", 404)
    small = c.create_multipart_upload(Bucket="productionapp", Key="small.bin")["UploadId"]
    s1 = c.upload_part(Bucket="productionapp", Key="small.bin", UploadId=small, PartNumber=1, Body=b"tiny")
    s2 = c.upload_part(Bucket="productionapp", Key="small.bin", UploadId=small, PartNumber=2, Body=b"tiny")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        c.complete_multipart_upload(Bucket="productionapp", Key="small.bin", UploadId=small, MultipartUpload={"Parts": [
            {"PartNumber": 1, "ETag": s1["ETag"]}, {"PartNumber": 2, "ETag": s2["ETag"]}]})
    assert error_of(e)[0] == "EntityTooSmall"
    c.abort_multipart_upload(Bucket="productionapp", Key="small.bin", UploadId=small)
    assert "Uploads" not in c.list_multipart_uploads(Bucket="productionapp")


def test_completing_an_upload_again_answers_the_first_completion(bucket):
    c = bucket
    uid = c.create_multipart_upload(Bucket="productionapp", Key="again.bin")["UploadId"]
    p1 = c.upload_part(Bucket="productionapp", Key="again.bin", UploadId=uid, PartNumber=1, Body=b"a" * (5 * 1024 * 1024))
    p2 = c.upload_part(Bucket="productionapp", Key="again.bin", UploadId=uid, PartNumber=2, Body=b"b")
    parts = {"Parts": [{"PartNumber": 1, "ETag": p1["ETag"]}, {"PartNumber": 2, "ETag": p2["ETag"]}]}
    first = c.complete_multipart_upload(Bucket="productionapp", Key="again.bin", UploadId=uid, MultipartUpload=parts)
    # A retry (even with If-None-Match: *, which the object now fails) answers the same result.
    again = c.complete_multipart_upload(Bucket="productionapp", Key="again.bin", UploadId=uid, MultipartUpload=parts,
                                        IfNoneMatch="*")
    assert again["ETag"] == first["ETag"] and again["Key"] == "again.bin"
    assert c.head_object(Bucket="productionapp", Key="again.bin")["ContentLength"] == 5 * 1024 * 1024 + 1
    # Once the key holds another object, the upload is gone.
    c.put_object(Bucket="productionapp", Key="again.bin", Body=b"new")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        c.complete_multipart_upload(Bucket="productionapp", Key="again.bin", UploadId=uid, MultipartUpload=parts)
    assert error_of(e)[:2] == ("NoSuchUpload", 404)


def test_copy_sets_the_website_redirect_location_and_head_bucket_is_xml(bucket):
    c = bucket
    c.put_object(Bucket="productionapp", Key="src", Body=b"x", WebsiteRedirectLocation="/old.html")
    c.copy_object(Bucket="productionapp", Key="a", CopySource="productionapp/src",
                  WebsiteRedirectLocation="http://example.com/")
    assert c.get_object(Bucket="productionapp", Key="a")["WebsiteRedirectLocation"] == "http://example.com/"
    # Not copied from the source without the header (CopyObject API reference).
    c.copy_object(Bucket="productionapp", Key="b", CopySource="productionapp/src")
    assert "WebsiteRedirectLocation" not in c.head_object(Bucket="productionapp", Key="b")
    headers = c.head_bucket(Bucket="productionapp")["ResponseMetadata"]["HTTPHeaders"]
    assert headers["content-type"] == "application/xml"


def test_aws_s3_cp_sse_aws_kms_uses_the_aws_managed_key(bucket, world, tmp_path):
    """`aws s3 cp --sse aws:kms` names no key: S3 uses (and on first use creates) the AWS
    managed key aws/s3, which only S3 may use for the account and nobody may change."""
    src = tmp_path / "report.txt"
    src.write_bytes(b"quarterly numbers")
    env = env_for(world, world.prod)
    cli(world, env, "s3", "cp", str(src), "s3://productionapp/report.txt", "--sse", "aws:kms")
    head = bucket.head_object(Bucket="productionapp", Key="report.txt")
    assert head["ServerSideEncryption"] == "aws:kms"
    kms = world.client("kms", key_id=world.prod[0], secret=world.prod[1])
    meta = kms.describe_key(KeyId="alias/aws/s3")["KeyMetadata"]
    assert meta["KeyManager"] == "AWS" and head["SSEKMSKeyId"] == meta["Arn"]
    assert any(a["AliasName"] == "alias/aws/s3" and a["TargetKeyId"] == meta["KeyId"]
               for a in kms.list_aliases()["Aliases"])
    back = tmp_path / "back.txt"
    cli(world, env, "s3", "cp", "s3://productionapp/report.txt", str(back))
    assert back.read_bytes() == b"quarterly numbers"
    # Only through S3: a direct Encrypt is denied by the key policy, as is any change.
    with pytest.raises(botocore.exceptions.ClientError) as e:
        kms.encrypt(KeyId="alias/aws/s3", Plaintext=b"x")
    assert error_of(e)[0] == "AccessDeniedException"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        kms.schedule_key_deletion(KeyId=meta["KeyId"])
    assert error_of(e)[0] == "AccessDeniedException"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        kms.delete_alias(AliasName="alias/aws/s3")
    assert error_of(e)[0] == "NotAuthorizedException"


def test_account_regional_namespace_buckets(world):
    c = s3(world, world.prod, region="us-west-2")
    name = f"logs-{PROD}-us-west-2-an"
    out = c.create_bucket(Bucket=name, BucketNamespace="account-regional",
                          CreateBucketConfiguration={"LocationConstraint": "us-west-2"})
    assert out["BucketArn"] == f"arn:aws:s3:::{name}"
    try:
        for bad in ["logs-no-suffix", f"logs-{DEV}-us-west-2-an", f"logs-{PROD}-eu-west-1-an"]:
            with pytest.raises(botocore.exceptions.ClientError) as e:
                c.create_bucket(Bucket=bad, BucketNamespace="account-regional",
                                CreateBucketConfiguration={"LocationConstraint": "us-west-2"})
            assert error_of(e)[:2] == ("InvalidNamespaceHeader", 400), bad
        with pytest.raises(botocore.exceptions.ClientError) as e:
            c.create_bucket(Bucket=f"other-{PROD}-us-west-2-an", BucketNamespace="global",
                            CreateBucketConfiguration={"LocationConstraint": "us-west-2"})
        assert error_of(e)[0] == "InvalidNamespaceHeader"
        c.head_bucket(Bucket=name)
    finally:
        c.delete_bucket(Bucket=name)


def test_virtual_hosted_style_presigned_get(bucket, world):
    c = bucket
    c.put_object(Bucket="productionapp", Key="hello.txt", Body=b"hi there")
    vc = s3(world, world.prod, addressing_style="virtual")
    url = vc.generate_presigned_url("get_object", Params={"Bucket": "productionapp", "Key": "hello.txt"}, ExpiresIn=300)
    assert "://productionapp." in url
    host = url.split("/")[2]
    # Connect to the server's own address, keeping the virtual host the URL was signed for.
    path = url.split(host, 1)[1]
    req = urllib.request.Request(world.endpoint + path, headers={"Host": host})
    with urllib.request.urlopen(req) as r:
        assert r.read() == b"hi there"


def test_mock_mode_authorizes_nothing_but_keeps_accounts_apart(mock_server):
    c = mock_server.client("s3", key_id=DEV, secret="x")
    c.create_bucket(Bucket="xacct-mock")
    c.put_object(Bucket="xacct-mock", Key="k", Body=b"v")
    assert c.get_object(Bucket="xacct-mock", Key="k")["Body"].read() == b"v"
    other = mock_server.client("s3", key_id=PROD, secret="x")
    assert "xacct-mock" not in [b["Name"] for b in other.list_buckets()["Buckets"]]
    c.delete_object(Bucket="xacct-mock", Key="k")
    c.delete_bucket(Bucket="xacct-mock")


# ---------------------------------------------------------------- large objects stream


def vm_hwm_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise AssertionError("no VmHWM")


def test_100_mib_aws_s3_cp_round_trip_streams_within_100_mib_rss(tmp_root, tmp_path):
    """`aws s3 cp` of 100 MiB goes multipart (8 MiB parts, up to 10 threads) and back; the
    server never holds a payload or an object whole, so its peak RSS stays under 100 MiB."""
    s = make_server(tmp_root).start()
    try:
        env = s.client_env()
        cli(s, env, "s3", "mb", "s3://productionapp")
        big = write_file(tmp_path / "backup.img", 100 * 1024 * 1024, seed=b"backup")
        cli(s, env, "s3", "cp", str(big), "s3://productionapp/backups/backup.img")
        back = tmp_path / "restored.img"
        cli(s, env, "s3", "cp", "s3://productionapp/backups/backup.img", str(back))
        assert md5_file(back) == md5_file(big)
        head = s.aws("s3api", "head-object", "--bucket", "productionapp", "--key", "backups/backup.img", env=env)
        assert head["ContentLength"] == 100 * 1024 * 1024 and head["ETag"].endswith('-13"')
        # The same object fetched in one GET, and once more by boto3's download_file.
        c = s.client("s3")
        c.download_file("productionapp", "backups/backup.img", str(tmp_path / "again.img"))
        assert md5_file(tmp_path / "again.img") == md5_file(big)
        # One PutObject larger than the server's in-memory body limit (16 MiB) streams too.
        with open(big, "rb") as f:
            chunk = f.read(40 * 1024 * 1024)
        put = c.put_object(Bucket="productionapp", Key="backups/first-40-mib", Body=chunk)
        assert put["ETag"] == '"%s"' % hashlib.md5(chunk).hexdigest()
        peak = vm_hwm_kib(s.proc.pid)
        print(f"xacct peak RSS (VmHWM) during 100 MiB round trips: {peak} KiB")
        assert peak < 100 * 1024, f"peak RSS {peak} KiB"
    finally:
        s.stop()


def delete_all_versions(c, name):
    for page in c.get_paginator("list_object_versions").paginate(Bucket=name):
        items = [{"Key": v["Key"], "VersionId": v["VersionId"]}
                 for v in page.get("Versions", []) + page.get("DeleteMarkers", [])]
        if items:
            c.delete_objects(Bucket=name, Delete={"Objects": items}, BypassGovernanceRetention=True)


def test_versioning_versions_delete_markers_and_null_versions(world):
    c = s3(world, world.prod)
    name = "xacct-versions"
    c.create_bucket(Bucket=name)
    try:
        assert "Status" not in c.get_bucket_versioning(Bucket=name)
        # Never versioned: no version id header, and only `null` may be named.
        put = c.put_object(Bucket=name, Key="a", Body=b"unversioned")
        assert "VersionId" not in put
        with pytest.raises(botocore.exceptions.ClientError) as e:
            c.get_object(Bucket=name, Key="a", VersionId="not-a-version")
        assert error_of(e) == ("InvalidArgument", 400, "Invalid version id specified")
        assert c.get_object(Bucket=name, Key="a", VersionId="null")["Body"].read() == b"unversioned"
        listed = c.list_object_versions(Bucket=name)
        assert [(x["VersionId"], x["IsLatest"]) for x in listed["Versions"]] == [("null", True)]
        assert "DeleteMarkers" not in listed

        c.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled", "MFADelete": "Disabled"})
        v = c.get_bucket_versioning(Bucket=name)
        assert (v["Status"], v["MFADelete"]) == ("Enabled", "Disabled")
        v1 = c.put_object(Bucket=name, Key="a", Body=b"one")["VersionId"]
        v2 = c.put_object(Bucket=name, Key="a", Body=b"two")["VersionId"]
        assert len({v1, v2, "null"}) == 3 and len(v1) == 32
        assert c.get_object(Bucket=name, Key="a")["Body"].read() == b"two"
        assert c.get_object(Bucket=name, Key="a", VersionId=v1)["Body"].read() == b"one"
        assert c.get_object(Bucket=name, Key="a", VersionId="null")["Body"].read() == b"unversioned"
        assert c.head_object(Bucket=name, Key="a", VersionId=v1)["VersionId"] == v1
        listed = c.list_object_versions(Bucket=name)["Versions"]
        assert [(x["VersionId"], x["IsLatest"]) for x in listed] == [(v2, True), (v1, False), ("null", False)]
        # A well-formed id that does not exist.
        missing = "A" * 32
        with pytest.raises(botocore.exceptions.ClientError) as e:
            c.get_object(Bucket=name, Key="a", VersionId=missing)
        assert error_of(e)[:2] == ("NoSuchVersion", 404)

        # Delete without a version: a delete marker becomes current.
        d = c.delete_object(Bucket=name, Key="a")
        assert d["DeleteMarker"] is True
        marker = d["VersionId"]
        with pytest.raises(botocore.exceptions.ClientError) as e:
            c.get_object(Bucket=name, Key="a")
        assert error_of(e)[:2] == ("NoSuchKey", 404)
        headers = e.value.response["ResponseMetadata"]["HTTPHeaders"]
        assert (headers["x-amz-delete-marker"], headers["x-amz-version-id"]) == ("true", marker)
        with pytest.raises(botocore.exceptions.ClientError) as e:
            c.get_object(Bucket=name, Key="a", VersionId=marker)
        assert error_of(e)[:2] == ("MethodNotAllowed", 405)
        assert e.value.response["ResponseMetadata"]["HTTPHeaders"]["allow"] == "DELETE"
        assert "Contents" not in c.list_objects_v2(Bucket=name)
        # Not empty: versions remain.
        with pytest.raises(botocore.exceptions.ClientError) as e:
            c.delete_bucket(Bucket=name)
        assert error_of(e)[:2] == ("BucketNotEmpty", 409)
        # Removing the marker by id brings v2 back.
        d = c.delete_object(Bucket=name, Key="a", VersionId=marker)
        assert (d["DeleteMarker"], d["VersionId"]) == (True, marker)
        assert c.get_object(Bucket=name, Key="a")["Body"].read() == b"two"
        # Copy from an old version.
        cp = c.copy_object(Bucket=name, Key="b", CopySource={"Bucket": name, "Key": "a", "VersionId": v1})
        assert cp["CopySourceVersionId"] == v1 and cp["VersionId"] not in (v1, v2)
        assert c.get_object(Bucket=name, Key="b")["Body"].read() == b"one"

        # Suspended: writes replace the null version only.
        c.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Suspended"})
        assert c.put_object(Bucket=name, Key="a", Body=b"three")["VersionId"] == "null"
        ids = [x["VersionId"] for x in c.list_object_versions(Bucket=name, Prefix="a")["Versions"]]
        assert ids == ["null", v2, v1]
        assert c.get_object(Bucket=name, Key="a", VersionId="null")["Body"].read() == b"three"

        # Paging: one entry at a time, resuming at KeyMarker/VersionIdMarker.
        seen, kw = [], {}
        while True:
            page = c.list_object_versions(Bucket=name, MaxKeys=1, **kw)
            seen += [(x["Key"], x["VersionId"]) for x in page.get("Versions", [])]
            if not page["IsTruncated"]:
                break
            kw = {"KeyMarker": page["NextKeyMarker"], "VersionIdMarker": page["NextVersionIdMarker"]}
        assert seen == [("a", "null"), ("a", v2), ("a", v1), ("b", cp["VersionId"])]

        # Batch delete by version.
        r = c.delete_objects(Bucket=name, Delete={"Objects": [{"Key": "a", "VersionId": v1}, {"Key": "a", "VersionId": "bad"}]})
        assert r["Deleted"] == [{"Key": "a", "VersionId": v1}]
        assert (r["Errors"][0]["Code"], r["Errors"][0]["VersionId"]) == ("NoSuchVersion", "bad")
    finally:
        delete_all_versions(c, name)
        c.delete_bucket(Bucket=name)


def test_versioned_actions_are_authorized_separately(world):
    s = world
    c = s3(s, s.prod)
    name = "xacct-version-acl"
    c.create_bucket(Bucket=name)
    c.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    vid = c.put_object(Bucket=name, Key="k", Body=b"x")["VersionId"]
    iam = s.client("iam", key_id=s.prod[0], secret=s.prod[1])
    iam.create_user(UserName="Reader")
    key = iam.create_access_key(UserName="Reader")["AccessKey"]
    iam.put_user_policy(UserName="Reader", PolicyName="r", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject", "s3:DeleteObject"], "Resource": "*"}]}))
    reader = s3(s, (key["AccessKeyId"], key["SecretAccessKey"]))
    try:
        assert reader.get_object(Bucket=name, Key="k")["Body"].read() == b"x"
        # Naming a version takes s3:GetObjectVersion / s3:DeleteObjectVersion.
        with pytest.raises(botocore.exceptions.ClientError) as e:
            reader.get_object(Bucket=name, Key="k", VersionId=vid)
        assert "s3:GetObjectVersion" in error_of(e)[2]
        with pytest.raises(botocore.exceptions.ClientError) as e:
            reader.delete_object(Bucket=name, Key="k", VersionId=vid)
        assert "s3:DeleteObjectVersion" in error_of(e)[2]
        assert c.get_object(Bucket=name, Key="k", VersionId=vid)["Body"].read() == b"x"
    finally:
        iam.delete_user_policy(UserName="Reader", PolicyName="r")
        iam.delete_access_key(UserName="Reader", AccessKeyId=key["AccessKeyId"])
        iam.delete_user(UserName="Reader")
        delete_all_versions(c, name)
        c.delete_bucket(Bucket=name)


def test_object_lock_retention_legal_hold_and_governance_bypass(world):
    import datetime
    c = s3(world, world.prod)
    name = "xacct-locked"
    plain = "xacct-unlocked"
    c.create_bucket(Bucket=plain)
    c.create_bucket(Bucket=name, ObjectLockEnabledForBucket=True)
    try:
        assert c.get_bucket_versioning(Bucket=name)["Status"] == "Enabled"
        with pytest.raises(botocore.exceptions.ClientError) as e:
            c.get_object_lock_configuration(Bucket=plain)
        assert error_of(e)[:2] == ("ObjectLockConfigurationNotFoundError", 404)
        with pytest.raises(botocore.exceptions.ClientError) as e:
            c.put_object_lock_configuration(Bucket=plain, ObjectLockConfiguration={"ObjectLockEnabled": "Enabled"})
        assert error_of(e)[:2] == ("InvalidBucketState", 409)
        with pytest.raises(botocore.exceptions.ClientError) as e:
            c.put_object(Bucket=plain, Key="k", Body=b"x", ObjectLockMode="GOVERNANCE",
                         ObjectLockRetainUntilDate=datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=1))
        assert error_of(e)[:2] == ("InvalidRequest", 400)

        c.put_object_lock_configuration(Bucket=name, ObjectLockConfiguration={
            "ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 1}}})
        rule = c.get_object_lock_configuration(Bucket=name)["ObjectLockConfiguration"]["Rule"]["DefaultRetention"]
        assert (rule["Mode"], rule["Days"]) == ("GOVERNANCE", 1)
        with pytest.raises(botocore.exceptions.ClientError) as e:
            c.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Suspended"})
        assert error_of(e)[:2] == ("InvalidBucketState", 409)

        vid = c.put_object(Bucket=name, Key="k", Body=b"x")["VersionId"]
        head = c.head_object(Bucket=name, Key="k")
        assert head["ObjectLockMode"] == "GOVERNANCE" and "ObjectLockLegalHoldStatus" not in head
        assert c.get_object_retention(Bucket=name, Key="k")["Retention"]["Mode"] == "GOVERNANCE"
        # Default governance retention: deleting the version needs the bypass.
        with pytest.raises(botocore.exceptions.ClientError) as e:
            c.delete_object(Bucket=name, Key="k", VersionId=vid)
        assert error_of(e)[:2] == ("AccessDenied", 403)
        # A delete marker is always allowed.
        assert c.delete_object(Bucket=name, Key="k")["DeleteMarker"] is True
        # Legal hold beats the bypass.
        c.put_object_legal_hold(Bucket=name, Key="k", VersionId=vid, LegalHold={"Status": "ON"})
        assert c.get_object_legal_hold(Bucket=name, Key="k", VersionId=vid)["LegalHold"]["Status"] == "ON"
        with pytest.raises(botocore.exceptions.ClientError) as e:
            c.delete_object(Bucket=name, Key="k", VersionId=vid, BypassGovernanceRetention=True)
        assert error_of(e)[:2] == ("AccessDenied", 403)
        c.put_object_legal_hold(Bucket=name, Key="k", VersionId=vid, LegalHold={"Status": "OFF"})
        # Compliance retention may not be shortened, even with the bypass.
        far = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=2)
        c.put_object_retention(Bucket=name, Key="k", VersionId=vid, Retention={"Mode": "COMPLIANCE", "RetainUntilDate": far},
                               BypassGovernanceRetention=True)
        with pytest.raises(botocore.exceptions.ClientError) as e:
            c.put_object_retention(Bucket=name, Key="k", VersionId=vid, BypassGovernanceRetention=True,
                                   Retention={"Mode": "GOVERNANCE", "RetainUntilDate": far - datetime.timedelta(days=1)})
        assert error_of(e)[:2] == ("AccessDenied", 403)
        with pytest.raises(botocore.exceptions.ClientError) as e:
            c.delete_object(Bucket=name, Key="k", VersionId=vid, BypassGovernanceRetention=True)
        assert error_of(e)[:2] == ("AccessDenied", 403)
        assert c.get_object(Bucket=name, Key="k", VersionId=vid)["Body"].read() == b"x"
    finally:
        c.delete_bucket(Bucket=plain)


def test_object_attributes_storage_classes_and_restore(bucket):
    c = bucket
    c.put_object(Bucket="productionapp", Key="k", Body=b"somedata", ChecksumAlgorithm="SHA256")
    r = c.get_object_attributes(Bucket="productionapp", Key="k", ObjectAttributes=["ETag", "ObjectSize", "StorageClass", "Checksum"])
    assert r["ETag"] == hashlib.md5(b"somedata").hexdigest() and r["ObjectSize"] == 8 and r["StorageClass"] == "STANDARD"
    assert r["Checksum"]["ChecksumSHA256"] == base64.b64encode(hashlib.sha256(b"somedata").digest()).decode()
    assert "VersionId" not in r

    with pytest.raises(botocore.exceptions.ClientError) as e:
        c.put_object(Bucket="productionapp", Key="bad", Body=b"x", StorageClass="STANDARD2")
    assert error_of(e)[:2] == ("InvalidStorageClass", 400)
    c.put_object(Bucket="productionapp", Key="cold", Body=b"frozen", StorageClass="GLACIER")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        c.get_object(Bucket="productionapp", Key="cold")
    assert error_of(e)[:2] == ("InvalidObjectState", 403)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        c.copy_object(Bucket="productionapp", Key="warm", CopySource={"Bucket": "productionapp", "Key": "cold"})
    assert error_of(e)[:2] == ("ObjectNotInActiveTierError", 403)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        c.restore_object(Bucket="productionapp", Key="k", RestoreRequest={"Days": 1})
    assert error_of(e)[:2] == ("InvalidObjectState", 403)
    r = c.restore_object(Bucket="productionapp", Key="cold", RestoreRequest={"Days": 2})
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 202
    r = c.restore_object(Bucket="productionapp", Key="cold", RestoreRequest={"Days": 2})
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert c.get_object(Bucket="productionapp", Key="cold")["Body"].read() == b"frozen"
    assert 'ongoing-request="false"' in c.head_object(Bucket="productionapp", Key="cold")["Restore"]
    c.copy_object(Bucket="productionapp", Key="warm", CopySource={"Bucket": "productionapp", "Key": "cold"})
    head = c.head_object(Bucket="productionapp", Key="warm")
    assert "Restore" not in head and "StorageClass" not in head
