//! The AWS service models (botocore `service-2.json`) this server speaks, as typed Rust values.
//!
//! The models are vendored under `models/<svc>/<api-version>/service-2.json.gz` and embedded in the
//! binary; each one is decompressed and parsed once, the first time it is needed. Field names
//! mirror botocore's (camelCase in the file, snake_case here). Documentation strings are skipped
//! while parsing: nothing in the wire layer reads them.

use std::collections::HashMap;
use std::fmt;
use std::io::Read;
use std::sync::{Arc, OnceLock};

use serde::de::{MapAccess, Visitor};
use serde::{Deserialize, Deserializer};

use crate::WireError;

/// One embedded model: our service id (the folder name), its API version and the gzip bytes.
struct Embedded {
    id: &'static str,
    gz: &'static [u8],
}

macro_rules! embed {
    ($id:literal, $ver:literal) => {
        Embedded {
            id: $id,
            gz: include_bytes!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../models/",
                $id,
                "/",
                $ver,
                "/service-2.json.gz"
            )),
        }
    };
}

const EMBEDDED: [Embedded; SERVICE_COUNT] = [
    embed!("iam", "2010-05-08"),
    embed!("sts", "2011-06-15"),
    embed!("organizations", "2016-11-28"),
    embed!("s3", "2006-03-01"),
    embed!("kms", "2014-11-01"),
    embed!("cloudtrail", "2013-11-01"),
    embed!("proton", "2020-07-20"),
    embed!("imagebuilder", "2019-12-02"),
    embed!("ec2", "2016-11-15"),
    embed!("ecs", "2014-11-13"),
    embed!("cloudformation", "2010-05-15"),
];

/// How many services this server speaks.
const SERVICE_COUNT: usize = 11;

/// Routing facts about a service that classification needs before its model is parsed.
///
/// They are taken from each model's `metadata` (checked against the parsed model by a test), so
/// a request for one service never pays for parsing another service's model.
#[derive(Debug, Clone, Copy)]
pub struct ServiceInfo {
    /// Our service id (the models folder name): `iam`, `sts`, `ec2`, ...
    pub id: &'static str,
    /// `metadata.protocol`.
    pub protocol: &'static str,
    /// `metadata.signingName`, falling back to `endpointPrefix` as botocore does.
    pub signing_name: &'static str,
    /// `metadata.endpointPrefix`.
    pub endpoint_prefix: &'static str,
    /// `metadata.targetPrefix` for json services.
    pub target_prefix: Option<&'static str>,
    /// `metadata.apiVersion`.
    pub api_version: &'static str,
}

/// The services, in the order of [`EMBEDDED`].
pub const SERVICES: [ServiceInfo; SERVICE_COUNT] = [
    ServiceInfo {
        id: "iam",
        protocol: "query",
        signing_name: "iam",
        endpoint_prefix: "iam",
        target_prefix: None,
        api_version: "2010-05-08",
    },
    ServiceInfo {
        id: "sts",
        protocol: "query",
        signing_name: "sts",
        endpoint_prefix: "sts",
        target_prefix: None,
        api_version: "2011-06-15",
    },
    ServiceInfo {
        id: "organizations",
        protocol: "json",
        signing_name: "organizations",
        endpoint_prefix: "organizations",
        target_prefix: Some("AWSOrganizationsV20161128"),
        api_version: "2016-11-28",
    },
    ServiceInfo {
        id: "s3",
        protocol: "rest-xml",
        signing_name: "s3",
        endpoint_prefix: "s3",
        target_prefix: None,
        api_version: "2006-03-01",
    },
    ServiceInfo {
        id: "kms",
        protocol: "json",
        signing_name: "kms",
        endpoint_prefix: "kms",
        target_prefix: Some("TrentService"),
        api_version: "2014-11-01",
    },
    ServiceInfo {
        id: "cloudtrail",
        protocol: "json",
        signing_name: "cloudtrail",
        endpoint_prefix: "cloudtrail",
        target_prefix: Some("com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101"),
        api_version: "2013-11-01",
    },
    ServiceInfo {
        id: "proton",
        protocol: "json",
        signing_name: "proton",
        endpoint_prefix: "proton",
        target_prefix: Some("AwsProton20200720"),
        api_version: "2020-07-20",
    },
    ServiceInfo {
        id: "imagebuilder",
        protocol: "rest-json",
        signing_name: "imagebuilder",
        endpoint_prefix: "imagebuilder",
        target_prefix: None,
        api_version: "2019-12-02",
    },
    ServiceInfo {
        id: "ec2",
        protocol: "ec2",
        signing_name: "ec2",
        endpoint_prefix: "ec2",
        target_prefix: None,
        api_version: "2016-11-15",
    },
    ServiceInfo {
        id: "ecs",
        protocol: "json",
        signing_name: "ecs",
        endpoint_prefix: "ecs",
        target_prefix: Some("AmazonEC2ContainerServiceV20141113"),
        api_version: "2014-11-13",
    },
    ServiceInfo {
        id: "cloudformation",
        protocol: "query",
        signing_name: "cloudformation",
        endpoint_prefix: "cloudformation",
        target_prefix: None,
        api_version: "2010-05-15",
    },
];

/// Every service model this server speaks, each parsed once on first use and then shared.
///
/// Cheap to create; [`Models::load`] parses them all eagerly (use it at startup so the first
/// request does not pay for parsing), [`Models::lazy`] parses each on first use.
pub struct Models {
    slots: [OnceLock<Result<Arc<ServiceModel>, String>>; SERVICE_COUNT],
}

impl fmt::Debug for Models {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let loaded: Vec<&str> = SERVICES
            .iter()
            .zip(self.slots.iter())
            .filter(|(_, s)| s.get().is_some())
            .map(|(i, _)| i.id)
            .collect();
        f.debug_struct("Models").field("loaded", &loaded).finish()
    }
}

impl Models {
    /// Models that parse each service on first use.
    #[must_use]
    pub fn lazy() -> Models {
        Models { slots: std::array::from_fn(|_| OnceLock::new()) }
    }

    /// Parses every model now, so a broken model fails startup rather than a request.
    ///
    /// # Errors
    /// [`WireError::Model`] when an embedded model does not decompress or parse.
    pub fn load() -> Result<Models, WireError> {
        let models = Models::lazy();
        for info in &SERVICES {
            models.service(info.id)?;
        }
        Ok(models)
    }

    /// The model of service `id` (our id: the models folder name), parsed on first use.
    ///
    /// # Errors
    /// [`WireError::UnknownService`] for an id we do not serve, [`WireError::Model`] when the
    /// embedded model is broken.
    pub fn service(&self, id: &str) -> Result<&Arc<ServiceModel>, WireError> {
        let idx = SERVICES
            .iter()
            .position(|s| s.id == id)
            .ok_or_else(|| WireError::UnknownService(id.to_owned()))?;
        self.by_index(idx)
    }

    fn by_index(&self, idx: usize) -> Result<&Arc<ServiceModel>, WireError> {
        let (Some(slot), Some(emb)) = (self.slots.get(idx), EMBEDDED.get(idx)) else {
            return Err(WireError::UnknownService(idx.to_string()));
        };
        slot.get_or_init(|| parse_embedded(emb).map(Arc::new))
            .as_ref()
            .map_err(|e| WireError::Model(e.clone()))
    }

    /// Routing facts about every service we serve.
    #[must_use]
    pub fn infos(&self) -> &'static [ServiceInfo] {
        &SERVICES
    }

    /// The service whose SigV4 signing name is `name` (`iam`, `sts`, `s3`, ...).
    #[must_use]
    pub fn by_signing_name(&self, name: &str) -> Option<&Arc<ServiceModel>> {
        let idx = SERVICES.iter().position(|s| s.signing_name == name)?;
        self.by_index(idx).ok()
    }

    /// The service whose endpoint prefix is `prefix`.
    #[must_use]
    pub fn by_endpoint_prefix(&self, prefix: &str) -> Option<&Arc<ServiceModel>> {
        let idx = SERVICES.iter().position(|s| s.endpoint_prefix == prefix)?;
        self.by_index(idx).ok()
    }

    /// The json service whose `X-Amz-Target` prefix is `prefix`.
    #[must_use]
    pub fn by_target_prefix(&self, prefix: &str) -> Option<&Arc<ServiceModel>> {
        let idx = SERVICES.iter().position(|s| s.target_prefix == Some(prefix))?;
        self.by_index(idx).ok()
    }
}

fn parse_embedded(emb: &Embedded) -> Result<ServiceModel, String> {
    let mut json = Vec::with_capacity(emb.gz.len() * 8);
    flate2::read::GzDecoder::new(emb.gz)
        .read_to_end(&mut json)
        .map_err(|e| format!("model `{}` does not decompress: {e}", emb.id))?;
    let raw: RawModel = serde_json::from_slice(&json)
        .map_err(|e| format!("model `{}` does not parse: {e}", emb.id))?;
    let mut operations = raw.operations;
    for (name, op) in &mut operations {
        if op.name.is_empty() {
            op.name.clone_from(name);
        }
    }
    Ok(ServiceModel {
        id: emb.id.to_owned(),
        metadata: raw.metadata,
        operations,
        shapes: raw.shapes,
        patterns: OnceLock::new(),
    })
}

#[derive(Deserialize)]
struct RawModel {
    metadata: Metadata,
    operations: HashMap<String, Operation>,
    shapes: HashMap<String, Shape>,
}

/// One service's model: metadata, operations by name and shapes by name.
#[derive(Debug)]
pub struct ServiceModel {
    /// Our service id (the models folder name).
    pub id: String,
    /// `metadata`.
    pub metadata: Metadata,
    /// `operations`, keyed by operation name.
    pub operations: HashMap<String, Operation>,
    /// `shapes`, keyed by shape name.
    pub shapes: HashMap<String, Shape>,
    /// The shapes' `pattern`s, compiled on first validation.
    patterns: OnceLock<crate::validate::Patterns>,
}

impl ServiceModel {
    /// The shape named `name`.
    #[must_use]
    pub fn shape(&self, name: &str) -> Option<&Shape> {
        self.shapes.get(name)
    }

    /// The operation named `name` (exact, case-sensitive, as AWS matches).
    #[must_use]
    pub fn operation(&self, name: &str) -> Option<&Operation> {
        self.operations.get(name)
    }

    /// The compiled `pattern` constraints of this service's shapes.
    pub(crate) fn patterns(&self) -> &crate::validate::Patterns {
        self.patterns.get_or_init(|| crate::validate::compile_patterns(self))
    }

    /// The SigV4 signing name: `signingName`, else `endpointPrefix`.
    #[must_use]
    pub fn signing_name(&self) -> &str {
        self.metadata.signing_name.as_deref().unwrap_or(&self.metadata.endpoint_prefix)
    }
}

/// `metadata` of a model.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Metadata {
    pub api_version: String,
    pub endpoint_prefix: String,
    pub protocol: String,
    #[serde(default)]
    pub protocols: Vec<String>,
    #[serde(default)]
    pub service_full_name: String,
    #[serde(default)]
    pub service_id: String,
    #[serde(default)]
    pub signature_version: Option<String>,
    #[serde(default)]
    pub signing_name: Option<String>,
    #[serde(default)]
    pub target_prefix: Option<String>,
    #[serde(default)]
    pub json_version: Option<String>,
    #[serde(default)]
    pub xml_namespace: Option<String>,
    #[serde(default)]
    pub global_endpoint: Option<String>,
    #[serde(default)]
    pub uid: Option<String>,
    /// Present (an object) when a json service also answers awsQuery-compatible error codes.
    #[serde(default)]
    pub aws_query_compatible: Option<serde_json::Value>,
}

/// `operations.<Name>`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Operation {
    #[serde(default)]
    pub name: String,
    pub http: Http,
    #[serde(default)]
    pub input: Option<ShapeRef>,
    #[serde(default)]
    pub output: Option<ShapeRef>,
    #[serde(default)]
    pub errors: Vec<ShapeRef>,
    #[serde(default)]
    pub deprecated: bool,
    #[serde(default)]
    pub idempotent: bool,
    #[serde(default)]
    pub endpoint: Option<OperationEndpoint>,
    #[serde(default)]
    pub http_checksum: Option<serde_json::Value>,
    #[serde(default)]
    pub authtype: Option<String>,
    #[serde(default)]
    pub unsigned_payload: bool,
}

/// `operations.<Name>.http`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Http {
    pub method: String,
    pub request_uri: String,
    #[serde(default)]
    pub response_code: Option<u16>,
}

/// `operations.<Name>.endpoint` (host prefixes such as `{AccountId}.`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OperationEndpoint {
    #[serde(default)]
    pub host_prefix: Option<String>,
}

/// `{"prefix": .., "uri": ..}` as found on shapes and members.
#[derive(Debug, Clone, Deserialize)]
pub struct XmlNamespace {
    #[serde(default)]
    pub prefix: Option<String>,
    #[serde(default)]
    pub uri: Option<String>,
}

/// Where a member travels in a REST request or response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Location {
    /// A path label: `/{Bucket}/{Key+}`.
    Uri,
    /// A query string parameter.
    Querystring,
    /// One header.
    Header,
    /// A map of headers sharing a prefix (`x-amz-meta-`).
    Headers,
    /// The HTTP status code (output only).
    StatusCode,
}

/// A reference to a shape: operation inputs/outputs/errors, structure members, list members, map
/// keys and values. Serialization traits on the reference override those on the shape.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShapeRef {
    pub shape: String,
    #[serde(default)]
    pub location: Option<Location>,
    #[serde(default)]
    pub location_name: Option<String>,
    #[serde(default)]
    pub xml_namespace: Option<XmlNamespace>,
    #[serde(default)]
    pub xml_attribute: bool,
    #[serde(default)]
    pub flattened: bool,
    #[serde(default)]
    pub query_name: Option<String>,
    #[serde(default)]
    pub host_label: bool,
    #[serde(default)]
    pub timestamp_format: Option<String>,
    #[serde(default)]
    pub idempotency_token: bool,
    #[serde(default)]
    pub streaming: bool,
    #[serde(default)]
    pub eventpayload: bool,
    #[serde(default)]
    pub eventheader: bool,
    #[serde(default)]
    pub jsonvalue: bool,
    /// Query protocol: the `<OperationResult>` element wrapping an output.
    #[serde(default)]
    pub result_wrapper: Option<String>,
    #[serde(default)]
    pub deprecated: bool,
}

/// The kind of a shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ShapeType {
    Structure,
    List,
    Map,
    String,
    Integer,
    Long,
    Float,
    Double,
    Boolean,
    Timestamp,
    Blob,
    Bigdecimal,
    Biginteger,
    Byte,
    Short,
    Character,
}

/// `error` trait of an exception shape.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorTrait {
    /// The wire code when it differs from the shape name (query services).
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub http_status_code: Option<u16>,
    #[serde(default)]
    pub sender_fault: bool,
}

/// A shape definition.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Shape {
    #[serde(rename = "type")]
    pub type_: ShapeType,
    /// Structure members, in model order.
    #[serde(default)]
    pub members: Members,
    #[serde(default)]
    pub required: Vec<String>,
    /// List element.
    #[serde(default)]
    pub member: Option<ShapeRef>,
    /// Map key.
    #[serde(default)]
    pub key: Option<ShapeRef>,
    /// Map value.
    #[serde(default)]
    pub value: Option<ShapeRef>,
    #[serde(default)]
    pub flattened: bool,
    #[serde(default)]
    pub location_name: Option<String>,
    #[serde(default)]
    pub xml_namespace: Option<XmlNamespace>,
    /// REST: the member that is the whole body.
    #[serde(default)]
    pub payload: Option<String>,
    #[serde(default)]
    pub timestamp_format: Option<String>,
    #[serde(default, rename = "enum")]
    pub enum_: Vec<String>,
    #[serde(default)]
    pub exception: bool,
    #[serde(default)]
    pub fault: bool,
    #[serde(default)]
    pub error: Option<ErrorTrait>,
    #[serde(default)]
    pub min: Option<f64>,
    #[serde(default)]
    pub max: Option<f64>,
    #[serde(default)]
    pub pattern: Option<String>,
    #[serde(default)]
    pub sensitive: bool,
    #[serde(default)]
    pub document: bool,
    #[serde(default)]
    pub union: bool,
    #[serde(default)]
    pub event: bool,
    #[serde(default)]
    pub eventstream: bool,
    #[serde(default)]
    pub streaming: bool,
    #[serde(default)]
    pub requires_length: bool,
}

impl Shape {
    /// The member named `name`.
    #[must_use]
    pub fn member_ref(&self, name: &str) -> Option<&ShapeRef> {
        self.members.get(name)
    }

    /// Whether member `name` is required.
    #[must_use]
    pub fn is_required(&self, name: &str) -> bool {
        self.required.iter().any(|r| r == name)
    }
}

/// Structure members in the model's order (AWS emits XML elements in this order).
#[derive(Debug, Clone, Default)]
pub struct Members(pub Vec<(String, ShapeRef)>);

impl Members {
    /// The member named `name`.
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&ShapeRef> {
        self.0.iter().find(|(n, _)| n == name).map(|(_, r)| r)
    }

    /// Members in model order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &ShapeRef)> {
        self.0.iter().map(|(n, r)| (n.as_str(), r))
    }

    /// Number of members.
    #[must_use]
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the structure has no members.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<'de> Deserialize<'de> for Members {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Members;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map of members")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Members, A::Error> {
                let mut out = Vec::with_capacity(map.size_hint().unwrap_or(4));
                while let Some((k, v)) = map.next_entry::<String, ShapeRef>()? {
                    out.push((k, v));
                }
                Ok(Members(out))
            }
        }
        d.deserialize_map(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_models_load_and_metadata_matches_the_routing_table() {
        let start = std::time::Instant::now();
        let models = Models::load().unwrap();
        eprintln!("loaded every model in {:?}", start.elapsed());
        for info in &SERVICES {
            let m = models.service(info.id).unwrap();
            assert_eq!(m.metadata.protocol, info.protocol, "{}", info.id);
            assert_eq!(m.signing_name(), info.signing_name, "{}", info.id);
            assert_eq!(m.metadata.endpoint_prefix, info.endpoint_prefix);
            assert_eq!(m.metadata.target_prefix.as_deref(), info.target_prefix);
            assert_eq!(m.metadata.api_version, info.api_version);
        }
    }

    #[test]
    fn members_keep_model_order_and_refs_resolve() {
        let models = Models::lazy();
        let iam = models.service("iam").unwrap();
        let role = iam.shape("Role").unwrap();
        let names: Vec<&str> = role.members.iter().map(|(n, _)| n).collect();
        assert_eq!(names.first().copied(), Some("Path"));
        assert_eq!(names.get(1).copied(), Some("RoleName"));
        for shape in iam.shapes.values() {
            for (_, r) in shape.members.iter() {
                assert!(iam.shape(&r.shape).is_some(), "{}", r.shape);
            }
        }
        let op = iam.operation("ListRoles").unwrap();
        assert_eq!(op.output.as_ref().unwrap().result_wrapper.as_deref(), Some("ListRolesResult"));
        assert!(models.by_target_prefix("TrentService").is_some());
        assert_eq!(models.by_signing_name("s3").unwrap().id, "s3");
    }
}
