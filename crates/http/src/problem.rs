//! Errors as RFC 7807 `application/problem+json` bodies with the EPCIS 2.0 exception types
//! (`epcisException:*`), the one place that maps a failure to an HTTP status.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// The `epcisException` types of the REST binding, plus the status each is answered with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExceptionKind {
    /// The document or event does not read or does not validate (400).
    Validation,
    /// A query parameter is unknown or malformed (400).
    QueryParameter,
    /// No such capture job, event or resource (404).
    NoSuchResource,
    /// Missing or unknown credentials (401).
    Unauthorized,
    /// Known credentials without the right to this operation (403).
    Security,
    /// The capture exceeds `GS1-EPCIS-Capture-Limit` or `GS1-EPCIS-Capture-File-Size-Limit`
    /// (413).
    CaptureLimitExceeded,
    /// The query would return more than `maxEventCount` events (413).
    QueryTooLarge,
    /// The query would cost more than the server allows (413).
    QueryTooComplex,
    /// The request's query string is longer than the server reads (414).
    UriTooLong,
    /// An event with this hash ID is stored already (409).
    Conflict,
    /// The request's content type is not one the endpoint reads (415).
    UnsupportedMediaType,
    /// The `Accept` header asks for a form the endpoint cannot write (406).
    NotAcceptable,
    /// Too many requests from this caller (429).
    TooManyRequests,
    /// The capture queue is full or the store is unavailable (503).
    Unavailable,
    /// A bug or an unexpected failure (500).
    Implementation,
    /// An action the resource's current state does not allow (an exception already closed, a
    /// case step out of order) (409). Not an EPCIS exception: serialhub's own problem type.
    StateConflict,
}

impl ExceptionKind {
    /// The `type` URI of the problem.
    pub fn type_uri(self) -> &'static str {
        match self {
            ExceptionKind::Validation => "epcisException:ValidationException",
            ExceptionKind::QueryParameter => "epcisException:QueryParameterException",
            ExceptionKind::NoSuchResource => "epcisException:NoSuchResourceException",
            ExceptionKind::Unauthorized | ExceptionKind::Security => {
                "epcisException:SecurityException"
            }
            ExceptionKind::CaptureLimitExceeded => "epcisException:CaptureLimitExceededException",
            ExceptionKind::QueryTooLarge => "epcisException:QueryTooLargeException",
            ExceptionKind::QueryTooComplex | ExceptionKind::UriTooLong => {
                "epcisException:QueryTooComplexException"
            }
            ExceptionKind::Conflict => "epcisException:ValidationException",
            ExceptionKind::UnsupportedMediaType | ExceptionKind::NotAcceptable => {
                "epcisException:ImplementationException"
            }
            ExceptionKind::TooManyRequests => "epcisException:ImplementationException",
            ExceptionKind::Unavailable | ExceptionKind::Implementation => {
                "epcisException:ImplementationException"
            }
            ExceptionKind::StateConflict => "serialhub:StateConflict",
        }
    }

    /// The HTTP status.
    pub fn status(self) -> StatusCode {
        match self {
            ExceptionKind::Validation | ExceptionKind::QueryParameter => StatusCode::BAD_REQUEST,
            ExceptionKind::NoSuchResource => StatusCode::NOT_FOUND,
            ExceptionKind::Unauthorized => StatusCode::UNAUTHORIZED,
            ExceptionKind::Security => StatusCode::FORBIDDEN,
            ExceptionKind::CaptureLimitExceeded
            | ExceptionKind::QueryTooLarge
            | ExceptionKind::QueryTooComplex => StatusCode::PAYLOAD_TOO_LARGE,
            ExceptionKind::Conflict | ExceptionKind::StateConflict => StatusCode::CONFLICT,
            ExceptionKind::UriTooLong => StatusCode::URI_TOO_LONG,
            ExceptionKind::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ExceptionKind::NotAcceptable => StatusCode::NOT_ACCEPTABLE,
            ExceptionKind::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            ExceptionKind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            ExceptionKind::Implementation => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn title(self) -> &'static str {
        match self {
            ExceptionKind::Validation => "The document is not valid EPCIS",
            ExceptionKind::QueryParameter => "A query parameter is not valid",
            ExceptionKind::NoSuchResource => "No such resource",
            ExceptionKind::Unauthorized => "Authentication required",
            ExceptionKind::Security => "Not allowed",
            ExceptionKind::CaptureLimitExceeded => "Capture payload too large",
            ExceptionKind::QueryTooLarge => "Query result too large",
            ExceptionKind::QueryTooComplex => "Query too complex",
            ExceptionKind::UriTooLong => "Query string too long",
            ExceptionKind::Conflict => "Event already captured",
            ExceptionKind::UnsupportedMediaType => "Unsupported media type",
            ExceptionKind::NotAcceptable => "Not acceptable",
            ExceptionKind::TooManyRequests => "Too many requests",
            ExceptionKind::Unavailable => "Service unavailable",
            ExceptionKind::Implementation => "Internal error",
            ExceptionKind::StateConflict => "Not allowed in the current state",
        }
    }
}

/// A failed request: the kind, a plain message saying what and where, and any itemised
/// problems (every validation error of a document, each with its location).
#[derive(Debug)]
pub struct Problem {
    /// What kind of failure.
    pub kind: ExceptionKind,
    /// What went wrong, for a person.
    pub detail: String,
    /// The individual problems, as `LOCATION: message`.
    pub errors: Vec<String>,
    /// Extra response headers (limits on a 413, `WWW-Authenticate` on a 401).
    pub headers: Vec<(header::HeaderName, HeaderValue)>,
}

impl Problem {
    /// A problem of `kind` saying `detail`.
    pub fn new(kind: ExceptionKind, detail: impl Into<String>) -> Problem {
        Problem { kind, detail: detail.into(), errors: Vec::new(), headers: Vec::new() }
    }

    /// The problem with its itemised errors.
    pub fn with_errors(mut self, errors: Vec<String>) -> Problem {
        self.errors = errors;
        self
    }

    /// The problem with one more response header.
    pub fn with_header(mut self, name: header::HeaderName, value: HeaderValue) -> Problem {
        self.headers.push((name, value));
        self
    }

    /// An internal failure; the detail is logged by the caller and kept short here.
    pub fn internal(detail: impl Into<String>) -> Problem {
        Problem::new(ExceptionKind::Implementation, detail)
    }

    /// The JSON body.
    pub fn body(&self) -> serde_json::Value {
        let mut body = serde_json::json!({
            "type": self.kind.type_uri(),
            "title": self.kind.title(),
            "status": self.kind.status().as_u16(),
            "detail": self.detail,
        });
        if !self.errors.is_empty() {
            body["errors"] = serde_json::Value::from(self.errors.clone());
        }
        body
    }
}

impl From<serialhub_store::StoreError> for Problem {
    fn from(error: serialhub_store::StoreError) -> Problem {
        if let serialhub_store::StoreError::BadCursor(_) = error {
            return Problem::new(
                ExceptionKind::QueryParameter,
                "nextPageToken: not a token this server gave for this resource",
            );
        }
        if let serialhub_store::StoreError::Refused(why) = error {
            return Problem::new(ExceptionKind::Validation, why);
        }
        // The backend's own words (SQL errors, paths) go to the log; the caller gets the code.
        crate::log::warn(
            "store error",
            &[("code", error.code().into()), ("error", error.to_string().into())],
        );
        Problem::new(
            ExceptionKind::Unavailable,
            format!("the store is unavailable ({}); retry later", error.code()),
        )
    }
}

/// A problem+json body as RFC 7807's `application/problem+xml` (its appendix A): for a client
/// that accepts XML and not JSON. `errors` become `<errors><i>...</i></errors>`.
pub fn json_to_xml(body: &serde_json::Value) -> String {
    fn escape(text: &str, out: &mut String) {
        for c in text.chars() {
            match c {
                '&' => out.push_str("&amp;"),
                '<' => out.push_str("&lt;"),
                '>' => out.push_str("&gt;"),
                '"' => out.push_str("&quot;"),
                // Characters XML 1.0 cannot carry at all.
                c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => out.push('?'),
                c => out.push(c),
            }
        }
    }
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<problem xmlns=\"urn:ietf:rfc:7807\">",
    );
    if let Some(members) = body.as_object() {
        for (name, value) in members {
            // Member names are ours (type, title, status, detail, errors): valid element names.
            out.push_str(&format!("<{name}>"));
            match value {
                serde_json::Value::Array(items) => {
                    for item in items {
                        out.push_str("<i>");
                        escape(item.as_str().map_or(&item.to_string(), |s| s), &mut out);
                        out.push_str("</i>");
                    }
                }
                serde_json::Value::String(text) => escape(text, &mut out),
                other => escape(&other.to_string(), &mut out),
            }
            out.push_str(&format!("</{name}>"));
        }
    }
    out.push_str("</problem>\n");
    out
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = self.kind.status();
        let body = self.body().to_string();
        let mut response = (status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        for (name, value) in self.headers {
            headers.insert(name, value);
        }
        response
    }
}
