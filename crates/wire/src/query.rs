//! The awsQuery protocol (iam, sts): form-encoded requests decoded per the input shape, XML
//! responses wrapped in `<OperationResponse><OperationResult>` with `ResponseMetadata`, and the
//! `<ErrorResponse>` error envelope.

use serde_json::Value;

use crate::form::{self, Flavor};
use crate::model::{Operation, ServiceModel};
use crate::xml::XmlWriter;
use crate::{AwsError, HttpRequest, HttpResponse, Rejection};

/// Decodes a query request's parameters into the operation's input Value.
pub(crate) fn decode(
    svc: &ServiceModel,
    op: &Operation,
    req: &HttpRequest<'_>,
) -> Result<Value, Rejection> {
    let params = form::parse_params(req)?;
    form::decode_input(svc, op.input.as_ref(), &params, Flavor::Query)
}

/// `<OpResponse xmlns=..><OpResult>..</OpResult><ResponseMetadata>..</ResponseMetadata></OpResponse>`.
pub(crate) fn encode_output(
    svc: &ServiceModel,
    op: &Operation,
    output: &Value,
    request_id: &str,
) -> HttpResponse {
    let mut w = XmlWriter { buf: String::with_capacity(512) };
    let root = format!("{}Response", op.name);
    w.open(&root, svc.metadata.xml_namespace.as_deref());
    if let Some(out_ref) = op.output.as_ref() {
        if let Some(shape) = svc.shape(&out_ref.shape) {
            let wrapper =
                out_ref.result_wrapper.clone().unwrap_or_else(|| format!("{}Result", op.name));
            let start = w.buf.len();
            w.open(&wrapper, None);
            let inner = w.buf.len();
            form::write_members(&mut w, svc, shape, output, Flavor::Query);
            if w.buf.len() == inner {
                w.buf.truncate(start);
                w.empty(&wrapper);
            } else {
                w.close(&wrapper);
            }
        }
    }
    w.open("ResponseMetadata", None);
    w.text_element("RequestId", request_id);
    w.close("ResponseMetadata");
    w.close(&root);
    response(200, request_id, w.into_bytes())
}

/// `<ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/></ErrorResponse>`, in the
/// service's namespace when known.
pub(crate) fn encode_error_ns(err: &AwsError, request_id: &str, ns: Option<&str>) -> HttpResponse {
    let mut w = XmlWriter { buf: String::with_capacity(256) };
    w.open("ErrorResponse", ns);
    w.open("Error", None);
    w.text_element("Type", if err.sender_fault { "Sender" } else { "Receiver" });
    w.text_element("Code", &err.code);
    w.text_element("Message", &err.message);
    w.close("Error");
    w.text_element("RequestId", request_id);
    w.close("ErrorResponse");
    response(err.status, request_id, w.into_bytes())
}

/// The error envelope without a service namespace.
pub(crate) fn encode_error(err: &AwsError, request_id: &str) -> HttpResponse {
    encode_error_ns(err, request_id, None)
}

fn response(status: u16, request_id: &str, body: Vec<u8>) -> HttpResponse {
    HttpResponse {
        status,
        headers: vec![
            ("x-amzn-RequestId".to_owned(), request_id.to_owned()),
            ("Content-Type".to_owned(), "text/xml".to_owned()),
        ],
        body,
    }
}
