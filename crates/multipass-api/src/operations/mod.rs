//! The one list of operations a client may call on the application API.
//!
//! [`list.rs`](list) declares each operation once: its name, parameters, answer and the
//! role it needs. The macro below turns that list into
//! - the [`Operations`] trait, implemented in process by [`MultipassApi`] and over the
//!   network by [`Remote`] (any [`OperationTransport`], e.g. the HTTPS client);
//! - [`dispatch`], which the server (and any other transport's far end) uses to decode a
//!   request and call the operation by name;
//! - [`OPERATIONS`], the metadata the server checks roles by and the tests iterate over;
//! - one `args::<operation>` struct per operation: the request body on the wire.
//!
//! No declarative-macro crate does this for a plain async trait, and proc-macro
//! frameworks for RPC (tarpc, jsonrpsee) bring their own transport and error model; this
//! keeps the existing `ApiError` `{code, message, field}` end to end.

pub mod wire;

use crate::error::{ApiError, ErrorCode};
use multipass_domain::{Role, SessionToken};

/// Who may call an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// No session: sign-up, sign-in, and what third-party modules verify tokens with.
    Public,
    /// A session whose identity holds at least this role. The use case checks the role
    /// itself too; some also allow a lower role on the caller's own records, which this
    /// does not capture (it names the least any call needs).
    Session(Role),
}

/// One entry of the list, for routing and for tests over every operation.
#[derive(Debug, Clone, Copy)]
pub struct OperationInfo {
    pub name: &'static str,
    pub access: Access,
    /// Carries a signature by a wallet key, which only the desktop holding the key makes.
    pub signed: bool,
}

impl OperationInfo {
    pub fn find(name: &str) -> Option<&'static OperationInfo> {
        OPERATIONS.iter().find(|op| op.name == name)
    }
}

/// Sends one encoded operation to wherever the API runs and returns its encoded answer.
#[async_trait::async_trait]
pub trait OperationTransport: Send + Sync + std::fmt::Debug {
    async fn call(
        &self,
        operation: &'static str,
        token: Option<&SessionToken>,
        body: Vec<u8>,
    ) -> Result<Vec<u8>, ApiError>;
}

/// The API reached through a transport.
#[derive(Debug, Clone)]
pub struct Remote<T>(pub T);

fn malformed(operation: &str, err: &serde_json::Error) -> ApiError {
    tracing::debug!(operation, error = %err, "malformed operation arguments");
    let mut error = ApiError::new(
        ErrorCode::InvalidInput,
        format!("The request for {operation} is malformed: {err}"),
    );
    // serde names the field it choked on in backquotes; the UI highlights it.
    if let Some(field) = err.to_string().split('`').nth(1) {
        error = error.with_field(field);
    }
    error
}

fn encode<T: serde::Serialize>(value: &T) -> Result<Vec<u8>, ApiError> {
    serde_json::to_vec(value).map_err(|e| ApiError::internal("Encoding an answer failed", &e))
}

/// Decodes the answer a transport brought back.
pub fn decode_answer<T: serde::de::DeserializeOwned>(
    operation: &str,
    body: &[u8],
) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|e| {
        ApiError::internal(
            &format!("The server's answer to {operation} could not be read"),
            &e,
        )
    })
}

fn camel_case(snake: &str) -> String {
    let mut out = String::with_capacity(snake.len());
    let mut upper = false;
    for c in snake.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

fn missing_session() -> ApiError {
    ApiError::unauthenticated()
}

/// The session token travels as a plain string inside a sign-in answer.
pub mod token_wire {
    use multipass_domain::SessionToken;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(token: &SessionToken, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(token.expose())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<SessionToken, D::Error> {
        Ok(SessionToken::from_presented(String::deserialize(d)?))
    }
}

/// The wire type of a parameter: its own type unless the list names another.
macro_rules! wire_type {
    ($ty:ty) => {
        $ty
    };
    ($ty:ty => $wire:ty) => {
        $wire
    };
}

/// Whether the list marks an operation `signed`.
macro_rules! is_signed {
    () => {
        false
    };
    (signed) => {
        true
    };
}

macro_rules! operations {
    (
        public {
            $(
                $(#[doc = $pdoc:literal])*
                fn $pname:ident ( $( $parg:ident : $pty:ty $(=> $pwire:ty)? ),* $(,)? ) -> $pout:ty;
            )*
        }
        session {
            $(
                $(#[doc = $sdoc:literal])*
                $role:ident fn $sname:ident ( $( $sarg:ident : $sty:ty $(=> $swire:ty)? ),* $(,)? ) -> $sout:ty $(, $signed:ident)?;
            )*
        }
    ) => {
        /// Every operation a client may call, in the order of the list.
        pub const OPERATIONS: &[$crate::operations::OperationInfo] = &[
            $( $crate::operations::OperationInfo {
                name: stringify!($pname),
                access: $crate::operations::Access::Public,
                signed: false,
            }, )*
            $( $crate::operations::OperationInfo {
                name: stringify!($sname),
                access: $crate::operations::Access::Session(multipass_domain::Role::$role),
                signed: is_signed!($($signed)?),
            }, )*
        ];

        /// The request body of each operation.
        #[allow(non_camel_case_types)]
        pub mod args {
            use super::*;
            $(
                #[derive(serde::Serialize, serde::Deserialize)]
                #[serde(rename_all = "camelCase", deny_unknown_fields)]
                pub struct $pname { $( pub $parg: wire_type!($pty $(=> $pwire)?), )* }

                impl std::fmt::Debug for $pname {
                    // Arguments may hold passwords and codes.
                    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        f.write_str(concat!(stringify!($pname), " { .. }"))
                    }
                }
            )*
            $(
                #[derive(serde::Serialize, serde::Deserialize)]
                #[serde(rename_all = "camelCase", deny_unknown_fields)]
                pub struct $sname { $( pub $sarg: wire_type!($sty $(=> $swire)?), )* }

                impl std::fmt::Debug for $sname {
                    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        f.write_str(concat!(stringify!($sname), " { .. }"))
                    }
                }
            )*
        }

        /// The application API as a client sees it: the same calls in process and through
        /// the server.
        #[async_trait::async_trait]
        pub trait Operations: Send + Sync + std::fmt::Debug {
            $(
                $(#[doc = $pdoc])*
                async fn $pname(&self, $( $parg: $pty ),* ) -> Result<$pout, ApiError>;
            )*
            $(
                $(#[doc = $sdoc])*
                async fn $sname(&self, token: &SessionToken, $( $sarg: $sty ),* ) -> Result<$sout, ApiError>;
            )*
        }

        #[async_trait::async_trait]
        impl Operations for MultipassApi {
            $(
                async fn $pname(&self, $( $parg: $pty ),* ) -> Result<$pout, ApiError> {
                    MultipassApi::$pname(self, $( $parg ),*).await
                }
            )*
            $(
                async fn $sname(&self, token: &SessionToken, $( $sarg: $sty ),* ) -> Result<$sout, ApiError> {
                    MultipassApi::$sname(self, token, $( $sarg ),*).await
                }
            )*
        }

        #[async_trait::async_trait]
        impl<T: OperationTransport> Operations for Remote<T> {
            $(
                async fn $pname(&self, $( $parg: $pty ),* ) -> Result<$pout, ApiError> {
                    let args = args::$pname { $( $parg: wire::ToWire::to_wire($parg), )* };
                    let body = encode(&args)?;
                    let answer = self.0.call(stringify!($pname), None, body).await?;
                    decode_answer(stringify!($pname), &answer)
                }
            )*
            $(
                async fn $sname(&self, token: &SessionToken, $( $sarg: $sty ),* ) -> Result<$sout, ApiError> {
                    let args = args::$sname { $( $sarg: wire::ToWire::to_wire($sarg), )* };
                    let body = encode(&args)?;
                    let answer = self.0.call(stringify!($sname), Some(token), body).await?;
                    decode_answer(stringify!($sname), &answer)
                }
            )*
        }

        /// Visits the wire type of every parameter and answer of the session operations: the
        /// TypeScript bindings declare them all.
        pub fn visit_session_types(v: &mut impl ts_rs::TypeVisitor) {
            $(
                $( v.visit::<wire_type!($sty $(=> $swire)?)>(); )*
                v.visit::<$sout>();
            )*
        }

        /// The TypeScript function of each session operation, calling `call(name, args)`.
        pub fn typescript_functions(cfg: &ts_rs::Config) -> String {
            use ts_rs::TS as _;
            let mut out = String::new();
            $(
                // Signed operations need the desktop's keyring: the window calls the
                // desktop's command that signs instead.
                if !is_signed!($($signed)?) {
                    #[allow(unused_mut)]
                    let mut args = String::new();
                    $(
                        args.push_str(&format!(
                            "{}: {}; ",
                            camel_case(stringify!($sarg)),
                            <wire_type!($sty $(=> $swire)?)>::name(cfg),
                        ));
                    )*
                    let lines: &[&str] = &[$($sdoc),*];
                    let doc = lines.iter().map(|l| l.trim()).collect::<Vec<_>>().join(" ");
                    if !doc.is_empty() {
                        out.push_str(&format!("/** {doc} */\n"));
                    }
                    let params = if args.is_empty() {
                        String::new()
                    } else {
                        format!("args: {{ {} }}", args.trim_end_matches("; "))
                    };
                    let pass = if args.is_empty() { "{}" } else { "args" };
                    out.push_str(&format!(
                        "export function {}({params}): Promise<ApiResult<{out_type}>> {{\n  return callOperation<{out_type}>(\"{}\", {pass});\n}}\n\n",
                        camel_case(stringify!($sname)),
                        stringify!($sname),
                        out_type = <$sout>::name(cfg),
                    ));
                }
            )*
            out
        }

        /// Decodes `body` as the arguments of `operation`, calls it on `api` and encodes the
        /// answer. `not_found` for a name the list does not have.
        pub async fn dispatch<O: Operations + ?Sized>(
            api: &O,
            operation: &str,
            token: Option<&SessionToken>,
            body: &[u8],
        ) -> Result<Vec<u8>, ApiError> {
            match operation {
                $(
                    stringify!($pname) => {
                        let args: args::$pname = serde_json::from_slice(body)
                            .map_err(|e| malformed(operation, &e))?;
                        #[allow(unused_variables)]
                        let args = &args;
                        let answer = api.$pname( $( wire::Lend::lend(&args.$parg) ),* ).await?;
                        encode(&answer)
                    }
                )*
                $(
                    stringify!($sname) => {
                        let token = token.ok_or_else(missing_session)?;
                        let args: args::$sname = serde_json::from_slice(body)
                            .map_err(|e| malformed(operation, &e))?;
                        #[allow(unused_variables)]
                        let args = &args;
                        let answer = api.$sname(token, $( wire::Lend::lend(&args.$sarg) ),* ).await?;
                        encode(&answer)
                    }
                )*
                _ => Err(ApiError::new(
                    ErrorCode::NotFound,
                    format!("There is no operation named {operation}."),
                )),
            }
        }
    };
}

// Declared after the macros so that their textual scope covers it.
mod list;
pub use list::*;
