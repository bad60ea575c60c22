//! JWT bearer tokens (RFC 7519) from an OIDC identity provider, as the other way to
//! authenticate besides API keys: HS256 with a shared secret, or RS256 with the provider's
//! public keys from a JWKS file (RFC 7517).
//!
//! Checked: the algorithm is one the configuration enables (never `none`, never HS256 when
//! only keys are configured: the classic confusion of a public key used as an HMAC secret),
//! the signature, `exp` (required), `nbf`, and `iss` and `aud` when configured, with
//! `LEEWAY_SECS` of clock skew. The caller is `sub`; its role comes from `role` (a string) or
//! `roles` (an array; the first known one), and its partner from `party` (a GLN).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use rsa::{BoxedUint, PublicKey};
use serde_json::Value;

use crate::auth::{Caller, Role};

/// Accepted clock skew between the identity provider and this server.
const LEEWAY_SECS: i64 = 60;
/// The longest token read.
const TOKEN_LEN_MAX: usize = 16 * 1024;

/// What tokens are accepted.
#[derive(Clone, Debug, Default)]
pub struct JwtConfig {
    /// The HS256 secret, if HS256 is enabled.
    pub hs256_secret: Option<Vec<u8>>,
    /// RS256 public keys with their `kid`, if RS256 is enabled.
    pub rs256_keys: Vec<(Option<String>, PublicKey)>,
    /// The required `iss`.
    pub issuer: Option<String>,
    /// The required `aud` (one of the token's audiences).
    pub audience: Option<String>,
}

impl JwtConfig {
    /// Whether any algorithm is enabled.
    pub fn enabled(&self) -> bool {
        self.hs256_secret.is_some() || !self.rs256_keys.is_empty()
    }

    /// Reads the RSA signing keys of a JWKS document (other key types are skipped).
    pub fn add_jwks(&mut self, jwks: &str) -> Result<usize, String> {
        let value: Value =
            serde_json::from_str(jwks).map_err(|e| format!("the JWKS is not JSON: {e}"))?;
        let keys = value["keys"].as_array().ok_or("the JWKS has no \"keys\" array")?;
        let mut added = 0;
        for (i, key) in keys.iter().enumerate() {
            if key["kty"] != "RSA" || key["use"].as_str().is_some_and(|u| u != "sig") {
                continue;
            }
            if key["alg"].as_str().is_some_and(|a| a != "RS256") {
                continue;
            }
            let part = |name: &str| -> Result<BoxedUint, String> {
                let text =
                    key[name].as_str().ok_or_else(|| format!("keys[{i}].{name} is missing"))?;
                let bytes = URL_SAFE_NO_PAD
                    .decode(text)
                    .map_err(|e| format!("keys[{i}].{name} is not base64url: {e}"))?;
                Ok(BoxedUint::from_be_slice_vartime(&bytes))
            };
            let public = PublicKey::new(part("n")?, part("e")?)
                .map_err(|e| format!("keys[{i}] is not a usable RSA key: {e}"))?;
            self.rs256_keys.push((key["kid"].as_str().map(str::to_owned), public));
            added += 1;
        }
        Ok(added)
    }

    /// The caller a token stands for, at `now_secs` (Unix seconds), or why it is refused.
    pub fn verify(&self, token: &str, now_secs: i64) -> Result<Caller, String> {
        if token.len() > TOKEN_LEN_MAX {
            return Err("the token is too long".to_owned());
        }
        let mut parts = token.split('.');
        let (Some(header_b64), Some(payload_b64), Some(signature_b64), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err("not a JWT (three base64url parts)".to_owned());
        };
        let decode = |what: &str, text: &str| {
            URL_SAFE_NO_PAD.decode(text).map_err(|e| format!("the {what} is not base64url: {e}"))
        };
        let header: Value = serde_json::from_slice(&decode("header", header_b64)?)
            .map_err(|e| format!("the header is not JSON: {e}"))?;
        let signature = decode("signature", signature_b64)?;
        let signed = &token[..header_b64.len() + 1 + payload_b64.len()];
        match header["alg"].as_str() {
            Some("HS256") => {
                let secret =
                    self.hs256_secret.as_ref().ok_or("HS256 tokens are not accepted here")?;
                let mut mac = Hmac::<rsa::sha2::Sha256>::new_from_slice(secret)
                    .map_err(|_| "the HS256 secret is unusable".to_owned())?;
                mac.update(signed.as_bytes());
                mac.verify_slice(&signature)
                    .map_err(|_| "the signature does not verify".to_owned())?;
            }
            Some("RS256") => {
                let kid = header["kid"].as_str();
                let candidates: Vec<&PublicKey> = self
                    .rs256_keys
                    .iter()
                    .filter(|(k, _)| kid.is_none() || k.as_deref() == kid)
                    .map(|(_, key)| key)
                    .collect();
                if candidates.is_empty() {
                    return Err("no RS256 key with the token's kid".to_owned());
                }
                let verified = candidates.iter().any(|key| {
                    key.pkcs1v15_verify::<rsa::sha2::Sha256>(signed.as_bytes(), &signature).is_ok()
                });
                if !verified {
                    return Err("the signature does not verify".to_owned());
                }
            }
            Some(other) => return Err(format!("algorithm {other} is not accepted")),
            None => return Err("the header names no algorithm".to_owned()),
        }
        let claims: Value = serde_json::from_slice(&decode("payload", payload_b64)?)
            .map_err(|e| format!("the payload is not JSON: {e}"))?;
        let exp = claims["exp"].as_i64().ok_or("the token has no exp")?;
        if now_secs > exp.saturating_add(LEEWAY_SECS) {
            return Err("the token has expired".to_owned());
        }
        if claims["nbf"].as_i64().is_some_and(|nbf| now_secs.saturating_add(LEEWAY_SECS) < nbf) {
            return Err("the token is not valid yet".to_owned());
        }
        if let Some(issuer) = &self.issuer
            && claims["iss"].as_str() != Some(issuer.as_str())
        {
            return Err(format!("the issuer is not {issuer}"));
        }
        if let Some(audience) = &self.audience {
            let matches = match &claims["aud"] {
                Value::String(a) => a == audience,
                Value::Array(list) => list.iter().any(|a| a.as_str() == Some(audience)),
                _ => false,
            };
            if !matches {
                return Err(format!("the audience is not {audience}"));
            }
        }
        let subject =
            claims["sub"].as_str().filter(|s| !s.is_empty()).ok_or("the token has no sub")?;
        let role = match &claims["role"] {
            Value::String(r) => Role::parse(r),
            _ => claims["roles"]
                .as_array()
                .and_then(|roles| roles.iter().filter_map(Value::as_str).find_map(Role::parse)),
        }
        .ok_or(
            "the token names no serialhub role (role or roles: admin, capture, query, verify)",
        )?;
        let party = match &claims["party"] {
            // Only an admin token may act for no partner: a provider client set up without the
            // claim must not see the whole repository.
            Value::Null if role == Role::Admin => None,
            Value::Null => {
                return Err("a token that is not admin must name its party (a GLN)".to_owned());
            }
            Value::String(gln) if serialhub_gs1::Gln::parse(gln).is_ok() => Some(gln.clone()),
            other => return Err(format!("party {other} is not a GLN")),
        };
        Ok(Caller {
            key_id: format!("jwt:{subject}"),
            name: claims["name"].as_str().unwrap_or(subject).to_owned(),
            role,
            party,
            expires_at: Some(exp.saturating_add(LEEWAY_SECS)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_780_000_000; // 2026-05-28

    fn hs256(secret: &[u8], claims: &Value) -> String {
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
        let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
        let signed = format!("{header}.{payload}");
        let mut mac = Hmac::<rsa::sha2::Sha256>::new_from_slice(secret).expect("any key");
        mac.update(signed.as_bytes());
        format!("{signed}.{}", URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes()))
    }

    fn claims() -> Value {
        serde_json::json!({"sub": "line-7", "exp": NOW + 600, "iss": "https://idp", "aud": ["serialhub"],
            "role": "capture", "party": "4012345000009"})
    }

    fn config() -> JwtConfig {
        JwtConfig {
            hs256_secret: Some(b"a shared secret".to_vec()),
            issuer: Some("https://idp".to_owned()),
            audience: Some("serialhub".to_owned()),
            ..JwtConfig::default()
        }
    }

    #[test]
    fn hs256_tokens_verify_and_every_check_can_fail() {
        let config = config();
        let caller = config.verify(&hs256(b"a shared secret", &claims()), NOW).expect("verifies");
        assert_eq!(
            (caller.key_id.as_str(), caller.role, caller.party.as_deref()),
            ("jwt:line-7", Role::Capture, Some("4012345000009"))
        );
        let refuse = |token: String, why: &str| {
            let error = config.verify(&token, NOW).expect_err(why);
            assert!(error.contains(why), "{error} (wanted {why})");
        };
        refuse(hs256(b"another secret", &claims()), "does not verify");
        let mut c = claims();
        c["exp"] = (NOW - 120).into();
        refuse(hs256(b"a shared secret", &c), "expired");
        let mut c = claims();
        c["nbf"] = (NOW + 3600).into();
        refuse(hs256(b"a shared secret", &c), "not valid yet");
        let mut c = claims();
        c["iss"] = "https://evil".into();
        refuse(hs256(b"a shared secret", &c), "issuer");
        let mut c = claims();
        c["aud"] = "other".into();
        refuse(hs256(b"a shared secret", &c), "audience");
        let mut c = claims();
        c["role"] = "root".into();
        refuse(hs256(b"a shared secret", &c), "role");
        let mut c = claims();
        c["party"] = "4012345000008".into();
        refuse(hs256(b"a shared secret", &c), "GLN");
        let mut c = claims();
        c.as_object_mut().expect("object").remove("exp");
        refuse(hs256(b"a shared secret", &c), "no exp");
        let mut c = claims();
        c.as_object_mut().expect("object").remove("party");
        refuse(hs256(b"a shared secret", &c), "must name its party");
        c["role"] = "admin".into();
        assert!(
            config.verify(&hs256(b"a shared secret", &c), NOW).is_ok(),
            "an admin may act for no partner"
        );
        // Tampering with the payload after signing.
        let token = hs256(b"a shared secret", &claims());
        let mut parts: Vec<&str> = token.split('.').collect();
        let mut elevated = claims();
        elevated["role"] = "admin".into();
        let forged = URL_SAFE_NO_PAD.encode(elevated.to_string());
        parts[1] = &forged;
        refuse(parts.join("."), "does not verify");
        // alg none, and RS256 without keys.
        let none = format!(
            "{}.{}.",
            URL_SAFE_NO_PAD.encode(br#"{"alg":"none"}"#),
            URL_SAFE_NO_PAD.encode(claims().to_string())
        );
        refuse(none, "none is not accepted");
        let none = format!(
            "{}.{}.AA",
            URL_SAFE_NO_PAD.encode(br#"{"alg":"none"}"#),
            URL_SAFE_NO_PAD.encode(claims().to_string())
        );
        refuse(none, "none is not accepted");
        refuse("a.b".to_owned(), "three");
    }

    #[test]
    fn rs256_tokens_verify_against_the_jwks() {
        let mut config = JwtConfig {
            issuer: Some("https://idp.example.com".to_owned()),
            audience: Some("serialhub".to_owned()),
            ..JwtConfig::default()
        };
        let added = config.add_jwks(include_str!("../testdata/jwks.json")).expect("reads");
        assert_eq!(added, 1);
        let token = include_str!("../testdata/rs256-query-party-b.jwt").trim();
        let caller = config.verify(token, NOW).expect("verifies");
        assert_eq!((caller.role, caller.party.as_deref()), (Role::Query, Some("4098765000003")));
        // The same token signed over other bytes: change one character of the payload.
        let mut forged = token.to_owned();
        let at = forged.find('.').expect("a dot") + 5;
        let replacement = if &forged[at..=at] == "A" { "B" } else { "A" };
        forged.replace_range(at..=at, replacement);
        assert!(config.verify(&forged, NOW).is_err());
        // HS256 signed with the public modulus as secret (alg confusion) is refused outright.
        let confused = hs256(b"x", &claims());
        assert!(config.verify(&confused, NOW).expect_err("no HS256 here").contains("HS256"));
    }
}
