"""S3 bucket sub-resources through boto3: ACLs and Object Ownership, lifecycle, CORS, website,
notification, logging, default encryption, public access block, replication, acceleration and
request payment. The Production account (999999999999) owns the buckets; Development
(111111111111) is denied by default.
"""

import datetime

import botocore.exceptions
import pytest

from conftest import create_account, make_server

DEV = "111111111111"
PROD = "999999999999"
ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"
LOG_DELIVERY = "http://acs.amazonaws.com/groups/s3/LogDelivery"


@pytest.fixture(scope="module")
def world(tmp_root):
    s = make_server(tmp_root).start()
    s.prod = create_account(s, PROD, "Production")
    s.dev = create_account(s, DEV, "Development")
    yield s
    s.stop()


@pytest.fixture(scope="module")
def prod(world):
    return world.client("s3", key_id=world.prod[0], secret=world.prod[1], region="us-east-1")


@pytest.fixture(scope="module")
def dev(world):
    return world.client("s3", key_id=world.dev[0], secret=world.dev[1], region="us-east-1")


_n = [0]


@pytest.fixture()
def bucket(prod):
    _n[0] += 1
    name = f"cfg-bucket-{_n[0]}"
    prod.create_bucket(Bucket=name)
    return name


def error(excinfo):
    r = excinfo.value.response
    return r["Error"]["Code"], r["ResponseMetadata"]["HTTPStatusCode"]


def fails(fn, **kwargs):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        fn(**kwargs)
    return error(e)


# ACLs and Object Ownership


def test_new_buckets_enforce_bucket_owner_and_refuse_acls(prod, bucket):
    own = prod.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]["Rules"]
    assert own == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    acl = prod.get_bucket_acl(Bucket=bucket)
    owner = acl["Owner"]["ID"]
    assert len(owner) == 64
    assert acl["Grants"] == [{"Grantee": {"Type": "CanonicalUser", "ID": owner}, "Permission": "FULL_CONTROL"}]
    assert fails(prod.put_bucket_acl, Bucket=bucket, ACL="public-read") == ("AccessControlListNotSupported", 400)
    assert fails(prod.put_object, Bucket=bucket, Key="k", Body=b"x", ACL="public-read") == (
        "AccessControlListNotSupported", 400)
    # The bucket owner's full control is accepted, and is what reading shows.
    prod.put_object(Bucket=bucket, Key="k", Body=b"x", ACL="bucket-owner-full-control")
    grants = prod.get_object_acl(Bucket=bucket, Key="k")["Grants"]
    assert grants == [{"Grantee": {"Type": "CanonicalUser", "ID": owner}, "Permission": "FULL_CONTROL"}]
    assert fails(prod.create_bucket, Bucket="cfg-public-acl", ACL="public-read") == (
        "InvalidBucketAclWithObjectOwnership", 400)
    assert fails(prod.head_bucket, Bucket="cfg-public-acl") == ("404", 404)


def test_acls_with_object_writer_ownership(prod):
    # New buckets have Block Public Access on: no public ACL at creation.
    assert fails(prod.create_bucket, Bucket="cfg-acl-writer", ObjectOwnership="ObjectWriter",
                 ACL="public-read") == ("InvalidBucketAclWithBlockPublicAccessError", 400)
    prod.create_bucket(Bucket="cfg-acl-writer", ObjectOwnership="ObjectWriter")
    assert fails(prod.put_bucket_acl, Bucket="cfg-acl-writer", ACL="public-read") == ("AccessDenied", 403)
    prod.delete_public_access_block(Bucket="cfg-acl-writer")
    prod.put_bucket_acl(Bucket="cfg-acl-writer", ACL="public-read")
    grants = prod.get_bucket_acl(Bucket="cfg-acl-writer")["Grants"]
    assert {"Grantee": {"Type": "Group", "URI": ALL_USERS}, "Permission": "READ"} in grants
    prod.put_object(Bucket="cfg-acl-writer", Key="k", Body=b"x", ACL="public-read")
    grants = prod.get_object_acl(Bucket="cfg-acl-writer", Key="k")["Grants"]
    assert {"Grantee": {"Type": "Group", "URI": ALL_USERS}, "Permission": "READ"} in grants
    prod.put_object_acl(Bucket="cfg-acl-writer", Key="k", ACL="private")
    assert len(prod.get_object_acl(Bucket="cfg-acl-writer", Key="k")["Grants"]) == 1
    assert fails(prod.put_object_acl, Bucket="cfg-acl-writer", Key="missing", ACL="private")[0] == "NoSuchKey"
    owner = prod.get_bucket_acl(Bucket="cfg-acl-writer")["Owner"]
    prod.put_bucket_acl(Bucket="cfg-acl-writer", AccessControlPolicy={"Owner": owner, "Grants": [
        {"Grantee": {"Type": "Group", "URI": LOG_DELIVERY}, "Permission": "WRITE"},
        {"Grantee": {"Type": "Group", "URI": LOG_DELIVERY}, "Permission": "READ_ACP"},
    ]})
    assert len(prod.get_bucket_acl(Bucket="cfg-acl-writer")["Grants"]) == 2
    assert fails(prod.put_bucket_acl, Bucket="cfg-acl-writer", AccessControlPolicy={"Grants": []}) == (
        "MalformedACLError", 400)
    assert fails(prod.put_bucket_acl, Bucket="cfg-acl-writer", AccessControlPolicy={"Owner": owner, "Grants": [
        {"Grantee": {"Type": "Group", "URI": LOG_DELIVERY}, "Permission": "EVERYTHING"}]}) == ("MalformedACLError", 400)
    assert fails(prod.put_object, Bucket="cfg-acl-writer", Key="k", Body=b"x", ACL="private",
                 GrantRead=f'uri="{ALL_USERS}"') == ("InvalidRequest", 400)
    assert fails(prod.put_object_acl, Bucket="cfg-acl-writer", Key="k", GrantRead="id=AllUsers") == (
        "InvalidArgument", 400)
    # ACLs cannot be disabled while the bucket ACL grants others.
    assert fails(prod.put_bucket_ownership_controls, Bucket="cfg-acl-writer",
                 OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}) == (
        "InvalidBucketAclWithObjectOwnership", 400)


def test_ownership_controls_delete_and_validation(prod, bucket):
    prod.delete_bucket_ownership_controls(Bucket=bucket)
    assert fails(prod.get_bucket_ownership_controls, Bucket=bucket) == ("OwnershipControlsNotFoundError", 404)
    # Without ownership controls ACLs apply again (and Block Public Access still refuses public ones).
    assert fails(prod.put_bucket_acl, Bucket=bucket, ACL="public-read") == ("AccessDenied", 403)
    prod.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={"BlockPublicPolicy": True})
    prod.put_bucket_acl(Bucket=bucket, ACL="public-read")
    assert len(prod.get_bucket_acl(Bucket=bucket)["Grants"]) == 2
    assert fails(prod.put_bucket_ownership_controls, Bucket=bucket,
                 OwnershipControls={"Rules": [{"ObjectOwnership": "Everyone"}]}) == ("MalformedXML", 400)
    prod.put_bucket_acl(Bucket=bucket, ACL="private")
    prod.put_bucket_ownership_controls(Bucket=bucket, OwnershipControls={"Rules": [{"ObjectOwnership": "ObjectWriter"}]})
    assert prod.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]["Rules"][0]["ObjectOwnership"] == "ObjectWriter"


def test_other_accounts_are_denied(dev, bucket):
    assert fails(dev.get_bucket_acl, Bucket=bucket) == ("AccessDenied", 403)
    assert fails(dev.put_bucket_cors, Bucket=bucket, CORSConfiguration={
        "CORSRules": [{"AllowedOrigins": ["*"], "AllowedMethods": ["GET"]}]}) == ("AccessDenied", 403)
    assert fails(dev.get_bucket_lifecycle_configuration, Bucket=bucket) == ("AccessDenied", 403)


# Lifecycle


def test_lifecycle_round_trip_and_validation(prod, bucket):
    assert fails(prod.get_bucket_lifecycle_configuration, Bucket=bucket) == ("NoSuchLifecycleConfiguration", 404)
    date = datetime.datetime(2030, 1, 1, tzinfo=datetime.timezone.utc)
    rules = [
        {"ID": "expire", "Status": "Enabled", "Filter": {"Prefix": "logs/"}, "Expiration": {"Days": 7}},
        {"ID": "tags", "Status": "Disabled", "Filter": {"And": {"Prefix": "a/", "Tags": [{"Key": "k", "Value": "v"}]}},
         "Transitions": [{"Date": date, "StorageClass": "GLACIER"}]},
        {"ID": "nc", "Status": "Enabled", "Filter": {},
         "NoncurrentVersionTransitions": [{"NoncurrentDays": 30, "StorageClass": "ONEZONE_IA"}],
         "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 3}},
    ]
    out = prod.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": rules})
    assert out["TransitionDefaultMinimumObjectSize"] == "all_storage_classes_128K"
    got = prod.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
    assert [r["ID"] for r in got] == ["expire", "tags", "nc"]
    assert got[0]["Filter"] == {"Prefix": "logs/"} and got[0]["Expiration"] == {"Days": 7}
    assert got[1]["Transitions"][0]["Date"] == date
    assert got[1]["Filter"]["And"]["Tags"] == [{"Key": "k", "Value": "v"}]
    bad = [
        ({"ID": "x", "Status": "Enabled", "Expiration": {"Days": 1}}, "MalformedXML"),
        ({"ID": "x", "Status": "Enabled", "Filter": {}, "Prefix": "", "Expiration": {"Days": 1}}, "MalformedXML"),
        ({"ID": "x", "Status": "Enabled", "Filter": {}, "Expiration": {"Days": 1, "ExpiredObjectDeleteMarker": True}},
         "MalformedXML"),
        ({"ID": "x", "Status": "Enabled", "Filter": {}, "Expiration": {"Days": 0}}, "InvalidArgument"),
        ({"ID": "x", "Status": "Enabled", "Filter": {}, "Transitions": [{"Days": 5, "StorageClass": "STANDARD_IA"}]},
         "InvalidArgument"),
    ]
    for rule, code in bad:
        assert fails(prod.put_bucket_lifecycle_configuration, Bucket=bucket,
                     LifecycleConfiguration={"Rules": [rule]})[0] == code, rule
    # Failed puts changed nothing.
    assert len(prod.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]) == 3
    assert prod.delete_bucket_lifecycle(Bucket=bucket)["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert fails(prod.get_bucket_lifecycle_configuration, Bucket=bucket) == ("NoSuchLifecycleConfiguration", 404)


# CORS, website


def test_cors_round_trip_and_validation(prod, bucket):
    assert fails(prod.get_bucket_cors, Bucket=bucket) == ("NoSuchCORSConfiguration", 404)
    rules = [{"ID": "r", "AllowedOrigins": ["https://example.com"], "AllowedMethods": ["GET", "PUT"],
              "AllowedHeaders": ["*"], "ExposeHeaders": ["ETag"], "MaxAgeSeconds": 300}]
    prod.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": rules})
    assert prod.get_bucket_cors(Bucket=bucket)["CORSRules"] == rules
    with pytest.raises(botocore.exceptions.ClientError) as e:
        prod.put_bucket_cors(Bucket=bucket, CORSConfiguration={
            "CORSRules": [{"AllowedOrigins": ["*"], "AllowedMethods": ["PATCH"]}]})
    assert error(e) == ("InvalidRequest", 400)
    assert e.value.response["Error"]["Message"].endswith("Unsupported method is PATCH")
    assert fails(prod.put_bucket_cors, Bucket=bucket, CORSConfiguration={"CORSRules": []}) == ("MalformedXML", 400)
    prod.delete_bucket_cors(Bucket=bucket)
    assert fails(prod.get_bucket_cors, Bucket=bucket) == ("NoSuchCORSConfiguration", 404)


def test_website_round_trip_and_validation(prod, bucket):
    assert fails(prod.get_bucket_website, Bucket=bucket) == ("NoSuchWebsiteConfiguration", 404)
    config = {"IndexDocument": {"Suffix": "index.html"}, "ErrorDocument": {"Key": "error.html"},
              "RoutingRules": [{"Condition": {"KeyPrefixEquals": "docs/"},
                                "Redirect": {"ReplaceKeyPrefixWith": "documents/"}}]}
    prod.put_bucket_website(Bucket=bucket, WebsiteConfiguration=config)
    got = prod.get_bucket_website(Bucket=bucket)
    assert got["IndexDocument"] == {"Suffix": "index.html"}
    assert got["RoutingRules"] == config["RoutingRules"]
    assert fails(prod.put_bucket_website, Bucket=bucket, WebsiteConfiguration={"ErrorDocument": {"Key": "e"}}) == (
        "InvalidArgument", 400)
    prod.delete_bucket_website(Bucket=bucket)
    assert fails(prod.get_bucket_website, Bucket=bucket) == ("NoSuchWebsiteConfiguration", 404)


# Notification, logging


def test_notification_configuration(prod, bucket):
    assert prod.get_bucket_notification_configuration(Bucket=bucket).get("QueueConfigurations") is None
    queue = {"QueueArn": "arn:aws:sqs:us-east-1:999999999999:events", "Events": ["s3:ObjectCreated:*"],
             "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "in/"}]}}}
    # xacct serves no SQS: the destination cannot be validated unless validation is skipped.
    assert fails(prod.put_bucket_notification_configuration, Bucket=bucket,
                 NotificationConfiguration={"QueueConfigurations": [queue]}) == ("InvalidArgument", 400)
    prod.put_bucket_notification_configuration(
        Bucket=bucket, NotificationConfiguration={"QueueConfigurations": [queue], "EventBridgeConfiguration": {}},
        SkipDestinationValidation=True)
    got = prod.get_bucket_notification_configuration(Bucket=bucket)
    assert got["QueueConfigurations"][0]["QueueArn"] == queue["QueueArn"]
    assert got["QueueConfigurations"][0]["Id"]
    assert "EventBridgeConfiguration" in got
    bad = dict(queue, Events=["s3:Everything"])
    assert fails(prod.put_bucket_notification_configuration, Bucket=bucket, SkipDestinationValidation=True,
                 NotificationConfiguration={"QueueConfigurations": [bad]}) == ("InvalidArgument", 400)
    prod.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={})
    assert "QueueConfigurations" not in prod.get_bucket_notification_configuration(Bucket=bucket)


def test_logging_target_checks(prod, world):
    prod.create_bucket(Bucket="cfg-logged")
    assert "LoggingEnabled" not in prod.get_bucket_logging(Bucket="cfg-logged")
    enable = lambda target: prod.put_bucket_logging(  # noqa: E731
        Bucket="cfg-logged", BucketLoggingStatus={"LoggingEnabled": {"TargetBucket": target, "TargetPrefix": "l/"}})
    with pytest.raises(botocore.exceptions.ClientError) as e:
        enable("cfg-no-such-target")
    assert error(e) == ("InvalidTargetBucketForLogging", 400)
    prod.create_bucket(Bucket="cfg-logs-acl", ObjectOwnership="ObjectWriter")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        enable("cfg-logs-acl")
    assert error(e) == ("InvalidTargetBucketForLogging", 400)
    prod.put_bucket_acl(Bucket="cfg-logs-acl", ACL="log-delivery-write")
    enable("cfg-logs-acl")
    got = prod.get_bucket_logging(Bucket="cfg-logged")["LoggingEnabled"]
    assert got == {"TargetBucket": "cfg-logs-acl", "TargetPrefix": "l/"}
    west = world.client("s3", key_id=world.prod[0], secret=world.prod[1], region="us-west-2")
    west.create_bucket(Bucket="cfg-logs-west", CreateBucketConfiguration={"LocationConstraint": "us-west-2"})
    with pytest.raises(botocore.exceptions.ClientError) as e:
        enable("cfg-logs-west")
    assert error(e)[0] == "CrossLocationLoggingProhibited"
    prod.put_bucket_logging(Bucket="cfg-logged", BucketLoggingStatus={})
    assert "LoggingEnabled" not in prod.get_bucket_logging(Bucket="cfg-logged")
    # A bucket policy letting the logging service put the log objects also qualifies.
    import json
    prod.create_bucket(Bucket="cfg-logs-policy")
    policy = lambda resource: json.dumps({"Version": "2012-10-17", "Statement": [{  # noqa: E731
        "Effect": "Allow", "Principal": {"Service": "logging.s3.amazonaws.com"},
        "Action": "s3:PutObject", "Resource": resource}]})
    prod.put_bucket_policy(Bucket="cfg-logs-policy", Policy=policy("arn:aws:s3:::cfg-logs-policy/other/*"))
    with pytest.raises(botocore.exceptions.ClientError) as e:
        enable("cfg-logs-policy")
    assert error(e) == ("InvalidTargetBucketForLogging", 400)
    prod.put_bucket_policy(Bucket="cfg-logs-policy", Policy=policy("arn:aws:s3:::cfg-logs-policy/l/*"))
    enable("cfg-logs-policy")
    assert prod.get_bucket_logging(Bucket="cfg-logged")["LoggingEnabled"]["TargetBucket"] == "cfg-logs-policy"


# Encryption, public access block


def test_default_encryption(prod, bucket):
    default = prod.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]
    assert default["Rules"] == [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"},
                                 "BucketKeyEnabled": False}]
    kms = {"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "alias/k"},
                      "BucketKeyEnabled": True}]}
    prod.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration=kms)
    assert prod.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"] == kms
    bad = {"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256", "KMSMasterKeyID": "k"}}]}
    assert fails(prod.put_bucket_encryption, Bucket=bucket, ServerSideEncryptionConfiguration=bad) == (
        "InvalidArgument", 400)
    prod.delete_bucket_encryption(Bucket=bucket)
    assert prod.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"] == default


def test_objects_carry_the_default_sse_s3(prod, bucket):
    put = prod.put_object(Bucket=bucket, Key="a", Body=b"x")
    assert put["ServerSideEncryption"] == "AES256" and "SSEKMSKeyId" not in put
    assert prod.get_object(Bucket=bucket, Key="a")["ServerSideEncryption"] == "AES256"
    assert prod.head_object(Bucket=bucket, Key="a")["ServerSideEncryption"] == "AES256"
    copy = prod.copy_object(Bucket=bucket, Key="b", CopySource=f"{bucket}/a")
    assert copy["ServerSideEncryption"] == "AES256"
    up = prod.create_multipart_upload(Bucket=bucket, Key="m")
    assert up["ServerSideEncryption"] == "AES256"
    part = prod.upload_part(Bucket=bucket, Key="m", UploadId=up["UploadId"], PartNumber=1, Body=b"p")
    assert part["ServerSideEncryption"] == "AES256"
    done = prod.complete_multipart_upload(Bucket=bucket, Key="m", UploadId=up["UploadId"],
                                          MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]})
    assert done["ServerSideEncryption"] == "AES256"
    assert prod.head_object(Bucket=bucket, Key="m")["ServerSideEncryption"] == "AES256"


def test_sse_kms_with_an_xacct_key(world, prod, bucket):
    kms = world.client("kms", key_id=world.prod[0], secret=world.prod[1], region="us-east-1")
    key = kms.create_key()["KeyMetadata"]
    kms.create_alias(AliasName=f"alias/sse-{bucket}", TargetKeyId=key["KeyId"])
    put = prod.put_object(Bucket=bucket, Key="k", Body=b"secret", ServerSideEncryption="aws:kms",
                          SSEKMSKeyId=f"alias/sse-{bucket}", BucketKeyEnabled=True)
    assert (put["ServerSideEncryption"], put["SSEKMSKeyId"], put["BucketKeyEnabled"]) == (
        "aws:kms", key["Arn"], True)
    got = prod.get_object(Bucket=bucket, Key="k")
    assert got["Body"].read() == b"secret"
    assert (got["ServerSideEncryption"], got["SSEKMSKeyId"]) == ("aws:kms", key["Arn"])
    assert prod.head_object(Bucket=bucket, Key="k")["SSEKMSKeyId"] == key["Arn"]
    # The bucket default names the key: writes without headers use it, copies and multipart too.
    prod.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={"Rules": [
        {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key["KeyId"]}}]})
    assert prod.put_object(Bucket=bucket, Key="d", Body=b"x")["SSEKMSKeyId"] == key["Arn"]
    copy = prod.copy_object(Bucket=bucket, Key="c", CopySource=f"{bucket}/k", ServerSideEncryption="AES256")
    assert copy["ServerSideEncryption"] == "AES256" and "SSEKMSKeyId" not in copy
    up = prod.create_multipart_upload(Bucket=bucket, Key="m")
    assert up["SSEKMSKeyId"] == key["Arn"]
    part = prod.upload_part(Bucket=bucket, Key="m", UploadId=up["UploadId"], PartNumber=1, Body=b"p")
    assert part["SSEKMSKeyId"] == key["Arn"]
    done = prod.complete_multipart_upload(Bucket=bucket, Key="m", UploadId=up["UploadId"],
                                          MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]})
    assert done["SSEKMSKeyId"] == key["Arn"]
    assert prod.head_object(Bucket=bucket, Key="m")["SSEKMSKeyId"] == key["Arn"]


def test_invalid_sse_requests_write_nothing(world, prod, bucket):
    kms = world.client("kms", key_id=world.prod[0], secret=world.prod[1], region="us-east-1")
    arn = kms.create_key()["KeyMetadata"]["Arn"]
    cases = [
        ({"ServerSideEncryption": "rot13"}, ("InvalidArgument", 400)),
        ({"ServerSideEncryption": "AES256", "SSEKMSKeyId": arn}, ("InvalidArgument", 400)),
        ({"SSEKMSKeyId": arn}, ("InvalidArgument", 400)),
        ({"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": "alias/none"}, ("KMS.NotFoundException", 400)),
    ]
    prod.put_object(Bucket=bucket, Key="src", Body=b"s")
    for extra, expected in cases:
        assert fails(prod.put_object, Bucket=bucket, Key="k", Body=b"x", **extra) == expected, extra
        assert fails(prod.create_multipart_upload, Bucket=bucket, Key="k", **extra) == expected, extra
        assert fails(prod.copy_object, Bucket=bucket, Key="k", CopySource=f"{bucket}/src", **extra) == expected, extra
    assert fails(prod.head_object, Bucket=bucket, Key="k") == ("404", 404)
    assert [o["Key"] for o in prod.list_objects_v2(Bucket=bucket)["Contents"]] == ["src"]
    assert prod.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []


def test_block_public_policy(prod, bucket):
    import json
    public = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*",
                         "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*"}]})
    assert fails(prod.put_bucket_policy, Bucket=bucket, Policy=public) == ("AccessDenied", 403)
    prod.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={"BlockPublicAcls": True})
    prod.put_bucket_policy(Bucket=bucket, Policy=public)
    assert prod.get_bucket_policy(Bucket=bucket)["Policy"] == public


def test_public_access_block(prod, bucket):
    on = prod.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert on == {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
                  "RestrictPublicBuckets": True}
    prod.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={"BlockPublicAcls": True})
    got = prod.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert got == {"BlockPublicAcls": True, "IgnorePublicAcls": False, "BlockPublicPolicy": False,
                   "RestrictPublicBuckets": False}
    assert fails(prod.put_public_access_block, Bucket=bucket, PublicAccessBlockConfiguration={}) == (
        "InvalidRequest", 400)
    prod.delete_public_access_block(Bucket=bucket)
    assert fails(prod.get_public_access_block, Bucket=bucket) == ("NoSuchPublicAccessBlockConfiguration", 404)


# Replication, acceleration, request payment


def test_replication_requires_versioning(prod, bucket):
    assert fails(prod.get_bucket_replication, Bucket=bucket) == ("ReplicationConfigurationNotFoundError", 404)
    config = {"Role": "arn:aws:iam::999999999999:role/replication",
              "Rules": [{"ID": "r", "Status": "Enabled", "Prefix": "", "Destination": {"Bucket": "arn:aws:s3:::dst"}}]}
    assert fails(prod.put_bucket_replication, Bucket=bucket, ReplicationConfiguration=config) == (
        "InvalidRequest", 400)
    prod.delete_bucket_replication(Bucket=bucket)
    assert fails(prod.get_bucket_replication, Bucket="cfg-none-such") == ("NoSuchBucket", 404)


def test_accelerate_and_request_payment(prod, bucket):
    assert "Status" not in prod.get_bucket_accelerate_configuration(Bucket=bucket)
    prod.put_bucket_accelerate_configuration(Bucket=bucket, AccelerateConfiguration={"Status": "Enabled"})
    assert prod.get_bucket_accelerate_configuration(Bucket=bucket)["Status"] == "Enabled"
    assert fails(prod.put_bucket_accelerate_configuration, Bucket=bucket,
                 AccelerateConfiguration={"Status": "On"}) == ("MalformedXML", 400)
    prod.create_bucket(Bucket="cfg.dotted")
    assert fails(prod.put_bucket_accelerate_configuration, Bucket="cfg.dotted",
                 AccelerateConfiguration={"Status": "Enabled"}) == ("InvalidRequest", 400)
    assert prod.get_bucket_request_payment(Bucket=bucket)["Payer"] == "BucketOwner"
    prod.put_bucket_request_payment(Bucket=bucket, RequestPaymentConfiguration={"Payer": "Requester"})
    assert prod.get_bucket_request_payment(Bucket=bucket)["Payer"] == "Requester"


def test_inventory_configurations(prod, bucket):
    def config(i):
        return {"Id": i, "IsEnabled": True, "IncludedObjectVersions": "Current", "Filter": {"Prefix": "data/"},
                "Schedule": {"Frequency": "Daily"}, "OptionalFields": ["Size", "ETag"],
                "Destination": {"S3BucketDestination": {"Bucket": f"arn:aws:s3:::{bucket}", "Format": "CSV"}}}
    assert fails(prod.get_bucket_inventory_configuration, Bucket=bucket, Id="a") == ("NoSuchConfiguration", 404)
    for i in ["b", "a"]:
        prod.put_bucket_inventory_configuration(Bucket=bucket, Id=i, InventoryConfiguration=config(i))
    assert prod.get_bucket_inventory_configuration(Bucket=bucket, Id="a")["InventoryConfiguration"] == config("a")
    listed = prod.list_bucket_inventory_configurations(Bucket=bucket)
    assert [c["Id"] for c in listed["InventoryConfigurationList"]] == ["a", "b"]
    assert listed["IsTruncated"] is False
    bad = dict(config("c"), Schedule={"Frequency": "Hourly"})
    assert fails(prod.put_bucket_inventory_configuration, Bucket=bucket, Id="c", InventoryConfiguration=bad) == (
        "MalformedXML", 400)
    assert fails(prod.put_bucket_inventory_configuration, Bucket=bucket, Id="d", InventoryConfiguration=config("c"))[0] == (
        "InvalidArgument")
    prod.delete_bucket_inventory_configuration(Bucket=bucket, Id="a")
    assert fails(prod.delete_bucket_inventory_configuration, Bucket=bucket, Id="a") == ("NoSuchConfiguration", 404)
    assert len(prod.list_bucket_inventory_configurations(Bucket=bucket)["InventoryConfigurationList"]) == 1


def test_configurations_go_with_the_bucket(prod):
    prod.create_bucket(Bucket="cfg-recreated")
    prod.put_bucket_cors(Bucket="cfg-recreated", CORSConfiguration={
        "CORSRules": [{"AllowedOrigins": ["*"], "AllowedMethods": ["GET"]}]})
    prod.delete_bucket(Bucket="cfg-recreated")
    prod.create_bucket(Bucket="cfg-recreated")
    assert fails(prod.get_bucket_cors, Bucket="cfg-recreated") == ("NoSuchCORSConfiguration", 404)


def test_configurations_survive_a_restart(tmp_root):
    s = make_server(tmp_root).start()
    try:
        keys = create_account(s, PROD, "Production")
        c = s.client("s3", key_id=keys[0], secret=keys[1], region="us-east-1")
        c.create_bucket(Bucket="cfg-durable")
        c.put_bucket_cors(Bucket="cfg-durable", CORSConfiguration={
            "CORSRules": [{"AllowedOrigins": ["*"], "AllowedMethods": ["GET"]}]})
        s.stop()
        s.start()
        c = s.client("s3", key_id=keys[0], secret=keys[1], region="us-east-1")
        assert c.get_bucket_cors(Bucket="cfg-durable")["CORSRules"][0]["AllowedMethods"] == ["GET"]
    finally:
        s.stop()


def test_expected_bucket_owner(prod, bucket):
    assert fails(prod.get_bucket_acl, Bucket=bucket, ExpectedBucketOwner=DEV) == ("AccessDenied", 403)
    assert prod.get_bucket_acl(Bucket=bucket, ExpectedBucketOwner=PROD)["Grants"]


def test_bucket_tags_refuse_system_keys(prod, bucket):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        prod.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": [{"Key": "aws:x", "Value": "v"}]})
    assert error(e) == ("InvalidTag", 400)
    assert e.value.response["Error"]["Message"] == "System tags cannot be added/updated by requester"
    out = prod.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": [{"Key": "team", "Value": "a"}]})
    assert out["ResponseMetadata"]["HTTPStatusCode"] == 204


def test_cors_preflight(world, prod, bucket):
    import urllib.error
    import urllib.request

    def preflight(path, origin, method, headers=None):
        h = {"Origin": origin, "Access-Control-Request-Method": method}
        if headers:
            h["Access-Control-Request-Headers"] = headers
        req = urllib.request.Request(world.endpoint + path, method="OPTIONS", headers=h)
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, r.headers, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read()

    status, _, body = preflight(f"/{bucket}/k", "https://app.example.com", "PUT")
    assert status == 403 and b"<Code>AccessForbidden</Code>" in body
    prod.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": [
        {"AllowedOrigins": ["https://*.example.com"], "AllowedMethods": ["GET", "PUT"],
         "AllowedHeaders": ["content-type", "x-amz-*"], "ExposeHeaders": ["ETag"], "MaxAgeSeconds": 600}]})
    status, headers, body = preflight(f"/{bucket}/k", "https://app.example.com", "PUT", "Content-Type, x-amz-date")
    assert status == 200 and body == b""
    assert headers["Access-Control-Allow-Origin"] == "https://app.example.com"
    assert headers["Access-Control-Allow-Methods"] == "GET, PUT"
    assert headers["Access-Control-Allow-Headers"] == "Content-Type, x-amz-date"
    assert headers["Access-Control-Expose-Headers"] == "ETag"
    assert headers["Access-Control-Max-Age"] == "600"
    for origin, method, hdrs in [("https://evil.test", "PUT", None), ("https://app.example.com", "DELETE", None),
                                 ("https://app.example.com", "PUT", "authorization")]:
        status, _, body = preflight(f"/{bucket}/k", origin, method, hdrs)
        assert status == 403 and b"<Code>AccessForbidden</Code>" in body, (origin, method, hdrs)
    status, _, _ = preflight("/cfg-no-such-bucket/k", "https://app.example.com", "PUT")
    assert status == 403


def test_cors_headers_on_requests_with_an_origin(world, prod, bucket):
    prod.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": [
        {"AllowedOrigins": ["https://app.example.com"], "AllowedMethods": ["GET"], "ExposeHeaders": ["ETag"]}]})
    prod.put_object(Bucket=bucket, Key="k", Body=b"x")
    c = world.client("s3", key_id=world.prod[0], secret=world.prod[1], region="us-east-1")
    origin = {"value": "https://app.example.com"}
    c.meta.events.register("before-sign.s3.GetObject",
                           lambda request, **_: request.headers.__setitem__("Origin", origin["value"]))
    h = c.get_object(Bucket=bucket, Key="k")["ResponseMetadata"]["HTTPHeaders"]
    assert h["access-control-allow-origin"] == "https://app.example.com"
    assert h["access-control-expose-headers"] == "ETag"
    origin["value"] = "https://elsewhere.test"
    h = c.get_object(Bucket=bucket, Key="k")["ResponseMetadata"]["HTTPHeaders"]
    assert "access-control-allow-origin" not in h
    h = prod.get_object(Bucket=bucket, Key="k")["ResponseMetadata"]["HTTPHeaders"]
    assert "access-control-allow-origin" not in h
