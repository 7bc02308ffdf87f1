"""S3 Select (`select_object_content`) through boto3, whose event-stream parser checks every
message's prelude and message CRC32.

Production (999999999999) keeps its sales ledger in productionapp; Development (111111111111)
is the account that may not read it until the bucket policy and its own policy both allow.
"""

import bz2
import gzip
import json

import botocore.exceptions
import pytest

from conftest import create_account, make_server

DEV = "111111111111"
PROD = "999999999999"
BUCKET = "productionapp"

LEDGER = b"region,item,units,price\nnorth,apples,10,1.5\nsouth,pears,3,2.25\nnorth,plums,7,3\nwest,apples,1,1.5\n"


@pytest.fixture(scope="module")
def world(tmp_root):
    s = make_server(tmp_root).start()
    s.prod = create_account(s, PROD, "Production")
    s.dev = create_account(s, DEV, "Development")
    prod = s.client("s3", key_id=s.prod[0], secret=s.prod[1])
    prod.create_bucket(Bucket=BUCKET)
    prod.put_object(Bucket=BUCKET, Key="ledger.csv", Body=LEDGER)
    prod.put_object(Bucket=BUCKET, Key="ledger.csv.gz", Body=gzip.compress(LEDGER))
    prod.put_object(Bucket=BUCKET, Key="ledger.csv.bz2", Body=bz2.compress(LEDGER))
    lines = b"".join(json.dumps(r).encode() + b"\n" for r in [
        {"user": {"name": "jane", "roles": ["admin", "ops"]}, "logins": 12},
        {"user": {"name": "david", "roles": ["dev"]}, "logins": 3},
        {"user": {"name": "maria", "roles": []}, "logins": 0},
    ])
    prod.put_object(Bucket=BUCKET, Key="users.jsonl", Body=lines)
    prod.put_object(Bucket=BUCKET, Key="team.json", Body=json.dumps(
        {"team": "UpdateApp", "members": [{"name": "jane", "age": 41}, {"name": "david", "age": 29}]}).encode())
    s.prod_s3 = prod
    yield s
    s.stop()


def select(client, key, sql, input_ser, output_ser=None, **extra):
    """Runs one query; returns (records bytes, stats details, event names in order)."""
    resp = client.select_object_content(
        Bucket=BUCKET, Key=key, Expression=sql, ExpressionType="SQL",
        InputSerialization=input_ser, OutputSerialization=output_ser or {"JSON": {}}, **extra)
    records, stats, names = b"", None, []
    for event in resp["Payload"]:
        (name, body), = event.items()
        names.append(name)
        if name == "Records":
            records += body["Payload"]
        elif name == "Stats":
            stats = body["Details"]
    return records, stats, names


def error_of(excinfo):
    r = excinfo.value.response
    return r["Error"]["Code"], r["ResponseMetadata"]["HTTPStatusCode"]


def test_csv_with_header_and_where_as_csv(world):
    records, stats, names = select(
        world.prod_s3, "ledger.csv",
        "SELECT s.item, s.units FROM S3Object s WHERE s.region = 'north' AND CAST(s.units AS INT) > 5",
        {"CSV": {"FileHeaderInfo": "USE"}}, {"CSV": {}})
    assert records == b"apples,10\nplums,7\n"
    assert names == ["Records", "Stats", "End"]
    assert stats == {"BytesScanned": len(LEDGER), "BytesProcessed": len(LEDGER), "BytesReturned": len(records)}


def test_csv_positional_columns_as_json(world):
    records, _, _ = select(
        world.prod_s3, "ledger.csv", "SELECT _2 AS item, _3 * 2 AS doubled FROM S3Object WHERE _1 LIKE 'n%'",
        {"CSV": {"FileHeaderInfo": "IGNORE"}}, {"JSON": {"RecordDelimiter": ","}})
    assert records == b'{"item":"apples","doubled":20},{"item":"plums","doubled":14},'


def test_aggregates_over_the_ledger(world):
    records, _, _ = select(
        world.prod_s3, "ledger.csv",
        "SELECT COUNT(*), SUM(CAST(units AS INT)) AS units, MAX(price) AS top FROM S3Object WHERE item = 'apples'",
        {"CSV": {"FileHeaderInfo": "USE"}})
    assert json.loads(records) == {"_1": 2, "units": 11, "top": "1.5"}


def test_gzip_and_bzip2_inputs(world):
    for key, compression in (("ledger.csv.gz", "GZIP"), ("ledger.csv.bz2", "BZIP2")):
        records, stats, _ = select(
            world.prod_s3, key, "SELECT COUNT(*) FROM S3Object",
            {"CSV": {"FileHeaderInfo": "USE"}, "CompressionType": compression}, {"CSV": {}})
        assert records == b"4\n"
        assert stats["BytesProcessed"] == len(LEDGER)
        assert stats["BytesScanned"] != len(LEDGER)


def test_json_lines_paths(world):
    records, _, _ = select(
        world.prod_s3, "users.jsonl",
        "SELECT s.user.name, s.user.roles[0] AS first_role FROM S3Object s WHERE s.logins > 1",
        {"JSON": {"Type": "LINES"}})
    assert records.splitlines() == [b'{"name":"jane","first_role":"admin"}', b'{"name":"david","first_role":"dev"}']


def test_json_document_from_path_and_limit(world):
    records, _, _ = select(
        world.prod_s3, "team.json", "SELECT m.name FROM S3Object[*].members[*] m WHERE m.age < 40",
        {"JSON": {"Type": "DOCUMENT"}})
    assert records == b'{"name":"david"}\n'
    records, _, _ = select(
        world.prod_s3, "team.json", "SELECT * FROM S3Object[*].members[*] LIMIT 1",
        {"JSON": {"Type": "DOCUMENT"}})
    assert records == b'{"name":"jane","age":41}\n'


def test_request_progress_adds_a_progress_event(world):
    _, _, names = select(world.prod_s3, "ledger.csv", "SELECT * FROM S3Object LIMIT 1", {"CSV": {}},
                         RequestProgress={"Enabled": True})
    assert names == ["Records", "Progress", "Stats", "End"]


def test_parse_error_is_a_400_before_the_stream(world):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        select(world.prod_s3, "ledger.csv", "SELECT * FROM S3Object WHERE", {"CSV": {}})
    assert error_of(e) == ("ParseExpectedExpression", 400)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        select(world.prod_s3, "ledger.csv", "SELECT * FROM S3Object s s", {"CSV": {}})
    assert error_of(e) == ("ParseUnexpectedToken", 400)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        select(world.prod_s3, "ledger.csv", "SELECT CAST(item AS INT) FROM S3Object", {"CSV": {"FileHeaderInfo": "USE"}})
    assert error_of(e) == ("CastFailed", 400)


def test_missing_key_and_bucket(world):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        select(world.prod_s3, "nope.csv", "SELECT * FROM S3Object", {"CSV": {}})
    assert error_of(e) == ("NoSuchKey", 404)
    assert e.value.response["Error"]["Key"] == "nope.csv"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        world.prod_s3.select_object_content(
            Bucket="no-such-bucket-here", Key="k", Expression="SELECT * FROM S3Object", ExpressionType="SQL",
            InputSerialization={"CSV": {}}, OutputSerialization={"CSV": {}})
    assert error_of(e) == ("NoSuchBucket", 404)


def test_cross_account_select_needs_both_policies(world):
    s = world
    iam = s.client("iam", key_id=s.dev[0], secret=s.dev[1])
    iam.create_user(UserName="Analyst")
    key = iam.create_access_key(UserName="Analyst")["AccessKey"]
    analyst = s.client("s3", key_id=key["AccessKeyId"], secret=key["SecretAccessKey"])
    with pytest.raises(botocore.exceptions.ClientError) as e:
        select(analyst, "ledger.csv", "SELECT * FROM S3Object", {"CSV": {}})
    assert error_of(e) == ("AccessDenied", 403)
    iam.put_user_policy(UserName="Analyst", PolicyName="read", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}))
    with pytest.raises(botocore.exceptions.ClientError) as e:
        select(analyst, "ledger.csv", "SELECT * FROM S3Object", {"CSV": {}})
    assert error_of(e) == ("AccessDenied", 403)
    s.prod_s3.put_bucket_policy(Bucket=BUCKET, Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{DEV}:root"}, "Action": "s3:GetObject",
         "Resource": f"arn:aws:s3:::{BUCKET}/*"}]}))
    try:
        records, _, _ = select(analyst, "ledger.csv", "SELECT COUNT(*) FROM S3Object", {"CSV": {"FileHeaderInfo": "USE"}},
                               {"CSV": {}})
        assert records == b"4\n"
    finally:
        s.prod_s3.delete_bucket_policy(Bucket=BUCKET)


def test_select_is_a_cloudtrail_event(world):
    s = world
    select(s.prod_s3, "ledger.csv", "SELECT COUNT(*) FROM S3Object", {"CSV": {}})
    ct = s.client("cloudtrail", key_id=s.prod[0], secret=s.prod[1])
    events = ct.lookup_events(LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "SelectObjectContent"}])["Events"]
    assert events, "SelectObjectContent is recorded"
    record = json.loads(events[0]["CloudTrailEvent"])
    assert record["eventSource"] == "s3.amazonaws.com"
    assert record["readOnly"] is True


def test_sse_kms_object_needs_kms_decrypt_as_get_object_does(world):
    s = world
    kms = s.client("kms", key_id=s.prod[0], secret=s.prod[1])
    key = kms.create_key()["KeyMetadata"]
    s.prod_s3.put_object(Bucket=BUCKET, Key="secret.csv", Body=LEDGER, ServerSideEncryption="aws:kms",
                         SSEKMSKeyId=key["KeyId"])
    records, _, _ = select(s.prod_s3, "secret.csv", "SELECT COUNT(*) FROM S3Object", {"CSV": {"FileHeaderInfo": "USE"}},
                           {"CSV": {}})
    assert records == b"4\n"
    # An auditor of the same account may read objects but not use the key.
    iam = s.client("iam", key_id=s.prod[0], secret=s.prod[1])
    iam.create_user(UserName="Auditor")
    iam.put_user_policy(UserName="Auditor", PolicyName="read", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}))
    ak = iam.create_access_key(UserName="Auditor")["AccessKey"]
    auditor = s.client("s3", key_id=ak["AccessKeyId"], secret=ak["SecretAccessKey"])
    assert select(auditor, "ledger.csv", "SELECT COUNT(*) FROM S3Object", {"CSV": {}}, {"CSV": {}})[0] == b"5\n"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        select(auditor, "secret.csv", "SELECT COUNT(*) FROM S3Object", {"CSV": {}}, {"CSV": {}})
    assert error_of(e) == ("AccessDenied", 403)
    # A disabled key stops the owner too.
    kms.disable_key(KeyId=key["KeyId"])
    with pytest.raises(botocore.exceptions.ClientError) as e:
        select(s.prod_s3, "secret.csv", "SELECT COUNT(*) FROM S3Object", {"CSV": {}}, {"CSV": {}})
    assert error_of(e) == ("KMS.DisabledException", 400)
