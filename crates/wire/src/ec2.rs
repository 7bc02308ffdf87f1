//! The ec2 protocol: form-encoded requests with ec2's naming (`Name.N` lists, `queryName` or
//! capitalised `locationName`), XML responses `<OperationResponse><requestId>` with members by
//! `locationName` and lists as `<item>`, and the `<Response><Errors>` error envelope.

use serde_json::Value;

use crate::form::{self, Flavor};
use crate::model::{Operation, ServiceModel};
use crate::xml::XmlWriter;
use crate::{AwsError, HttpRequest, HttpResponse, Rejection};

/// Decodes an ec2 request's parameters into the operation's input Value.
pub(crate) fn decode(
    svc: &ServiceModel,
    op: &Operation,
    req: &HttpRequest<'_>,
) -> Result<Value, Rejection> {
    let params = form::parse_params(req)?;
    form::decode_input(svc, op.input.as_ref(), &params, Flavor::Ec2)
}

/// The response namespace: the model's, with the trailing slash EC2 sends.
fn namespace(svc: &ServiceModel) -> String {
    let ns =
        svc.metadata.xml_namespace.as_deref().unwrap_or("http://ec2.amazonaws.com/doc/2016-11-15/");
    if ns.ends_with('/') {
        ns.to_owned()
    } else {
        format!("{ns}/")
    }
}

/// `<OpResponse xmlns=..><requestId>..</requestId>members..</OpResponse>`.
pub(crate) fn encode_output(
    svc: &ServiceModel,
    op: &Operation,
    output: &Value,
    request_id: &str,
) -> HttpResponse {
    let mut w = XmlWriter::with_declaration(512);
    let root = format!("{}Response", op.name);
    w.open(&root, Some(&namespace(svc)));
    w.text_element("requestId", request_id);
    if let Some(shape) = op.output.as_ref().and_then(|r| svc.shape(&r.shape)) {
        form::write_members(&mut w, svc, shape, output, Flavor::Ec2);
    }
    w.close(&root);
    response(200, request_id, w.into_bytes())
}

/// `<Response><Errors><Error><Code/><Message/></Error></Errors><RequestID/></Response>`.
pub(crate) fn encode_error(err: &AwsError, request_id: &str) -> HttpResponse {
    let mut w = XmlWriter::with_declaration(256);
    w.open("Response", None);
    w.open("Errors", None);
    w.open("Error", None);
    w.text_element("Code", &err.code);
    w.text_element("Message", &err.message);
    w.close("Error");
    w.close("Errors");
    w.text_element("RequestID", request_id);
    w.close("Response");
    response(err.status, request_id, w.into_bytes())
}

fn response(status: u16, request_id: &str, body: Vec<u8>) -> HttpResponse {
    HttpResponse {
        status,
        headers: vec![
            ("x-amzn-RequestId".to_owned(), request_id.to_owned()),
            ("Content-Type".to_owned(), "text/xml;charset=UTF-8".to_owned()),
        ],
        body,
    }
}
