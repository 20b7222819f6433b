//! ID token (JWT, compact JWS) verification with ring: RS256 and ES256 only, against the
//! provider's JSON Web Key Set, then the claims OpenID Connect requires of an ID token.
//!
//! Guarantees: a token is believed only when its signature verifies with a key of the set whose
//! type matches the header's algorithm (no `none`, no HMAC, no key-type confusion), and its
//! `iss`, `aud` (and `azp`), `exp`, `iat` and `nonce` are what this sign-in expects.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::signature::{self, RsaPublicKeyComponents, UnparsedPublicKey};
use serde_json::{Map, Value};

/// Clock difference tolerated between the provider and the broker, in seconds.
pub const SKEW: i64 = 60;

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the ID token is malformed: {0}")]
    Malformed(&'static str),
    #[error("the ID token's algorithm {0:?} is not accepted (only RS256 and ES256 are)")]
    Algorithm(String),
    #[error("the provider's key set has no {alg} key {kid:?} for the ID token")]
    UnknownKey { alg: &'static str, kid: Option<String> },
    #[error("the ID token's signature does not verify")]
    BadSignature,
    #[error("the ID token's issuer {found:?} is not the configured issuer {expected:?}")]
    Issuer { expected: String, found: String },
    #[error("the ID token is not for this client (aud/azp)")]
    Audience,
    #[error("the ID token has expired")]
    Expired,
    #[error("the ID token was issued in the future (check the clocks)")]
    IssuedInFuture,
    #[error("the ID token's nonce does not match this sign-in")]
    Nonce,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Alg {
    Rs256,
    Es256,
}

impl Alg {
    fn name(self) -> &'static str {
        match self {
            Alg::Rs256 => "RS256",
            Alg::Es256 => "ES256",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum KeyMaterial {
    Rsa {
        n: Vec<u8>,
        e: Vec<u8>,
    },
    /// An uncompressed P-256 point: 0x04 || x || y.
    P256(Vec<u8>),
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Jwk {
    kid: Option<String>,
    alg: Option<String>,
    key: KeyMaterial,
}

/// The signing keys of a provider's JWKS document; keys gate cannot use are left out.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct JwkSet {
    keys: Vec<Jwk>,
}

impl JwkSet {
    pub fn parse(document: &Value) -> JwkSet {
        let keys = document.get("keys").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
        JwkSet { keys: keys.iter().filter_map(parse_jwk).collect() }
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The key for a token: by `kid` when the token names one, else the only key of the type.
    fn find(&self, alg: Alg, kid: Option<&str>) -> Option<&Jwk> {
        let fits = |jwk: &&Jwk| {
            let typed = matches!(
                (alg, &jwk.key),
                (Alg::Rs256, KeyMaterial::Rsa { .. }) | (Alg::Es256, KeyMaterial::P256(_))
            );
            typed && jwk.alg.as_deref().is_none_or(|a| a == alg.name())
        };
        let mut candidates = self.keys.iter().filter(fits);
        match kid {
            Some(kid) => candidates.find(|jwk| jwk.kid.as_deref() == Some(kid)),
            None => {
                let first = candidates.next();
                if candidates.next().is_some() { None } else { first }
            }
        }
    }
}

fn parse_jwk(jwk: &Value) -> Option<Jwk> {
    let text = |name: &str| jwk.get(name).and_then(Value::as_str);
    let bytes = |name: &str| text(name).and_then(|t| URL_SAFE_NO_PAD.decode(t).ok());
    if text("use").is_some_and(|u| u != "sig") {
        return None;
    }
    let key = match text("kty")? {
        "RSA" => KeyMaterial::Rsa { n: bytes("n")?, e: bytes("e")? },
        "EC" if text("crv") == Some("P-256") => {
            let (x, y) = (bytes("x")?, bytes("y")?);
            if x.len() != 32 || y.len() != 32 {
                return None;
            }
            KeyMaterial::P256([&[4u8][..], &x, &y].concat())
        }
        _ => return None,
    };
    Some(Jwk { kid: text("kid").map(str::to_string), alg: text("alg").map(str::to_string), key })
}

/// A token split and decoded, its signature not yet checked.
#[derive(Debug)]
pub struct Unverified {
    alg: Alg,
    kid: Option<String>,
    signed: String,
    signature: Vec<u8>,
    claims: Map<String, Value>,
}

impl Unverified {
    pub fn decode(token: &str) -> Result<Unverified, TokenError> {
        let mut parts = token.split('.');
        let (Some(header), Some(payload), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(TokenError::Malformed("not three dot-separated parts"));
        };
        let json = |part: &str| -> Result<Map<String, Value>, TokenError> {
            let bytes = URL_SAFE_NO_PAD.decode(part).map_err(|_| TokenError::Malformed("bad base64url"))?;
            match serde_json::from_slice(&bytes) {
                Ok(Value::Object(map)) => Ok(map),
                _ => Err(TokenError::Malformed("a part is not a JSON object")),
            }
        };
        let head = json(header)?;
        if head.contains_key("crit") {
            return Err(TokenError::Malformed("critical header extensions are not supported"));
        }
        let alg = match head.get("alg").and_then(Value::as_str) {
            Some("RS256") => Alg::Rs256,
            Some("ES256") => Alg::Es256,
            other => return Err(TokenError::Algorithm(other.unwrap_or("(none)").to_string())),
        };
        Ok(Unverified {
            alg,
            kid: head.get("kid").and_then(Value::as_str).map(str::to_string),
            signed: format!("{header}.{payload}"),
            signature: URL_SAFE_NO_PAD
                .decode(signature)
                .map_err(|_| TokenError::Malformed("bad base64url"))?,
            claims: json(payload)?,
        })
    }

    /// Whether `keys` holds the key this token names (if not, the caller may refetch the set).
    pub fn key_known(&self, keys: &JwkSet) -> bool {
        keys.find(self.alg, self.kid.as_deref()).is_some()
    }

    /// Checks the signature, then the claims; the claims when all is well.
    pub fn verify(self, keys: &JwkSet, expect: &Expect) -> Result<Claims, TokenError> {
        let jwk = keys
            .find(self.alg, self.kid.as_deref())
            .ok_or_else(|| TokenError::UnknownKey { alg: self.alg.name(), kid: self.kid.clone() })?;
        let message = self.signed.as_bytes();
        let verified = match (&jwk.key, self.alg) {
            (KeyMaterial::Rsa { n, e }, Alg::Rs256) => RsaPublicKeyComponents { n, e }
                .verify(&signature::RSA_PKCS1_2048_8192_SHA256, message, &self.signature)
                .is_ok(),
            (KeyMaterial::P256(point), Alg::Es256) => {
                UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, point)
                    .verify(message, &self.signature)
                    .is_ok()
            }
            _ => false,
        };
        if !verified {
            return Err(TokenError::BadSignature);
        }
        check_claims(Claims(self.claims), expect)
    }
}

/// What this sign-in expects of its ID token.
pub struct Expect<'a> {
    pub issuer: &'a str,
    pub client_id: &'a str,
    pub nonce: &'a str,
    /// Unix seconds.
    pub now: i64,
}

/// An ID token's verified claims.
#[derive(Clone, Debug, PartialEq, serde::Deserialize)]
#[serde(transparent)]
pub struct Claims(Map<String, Value>);

impl Claims {
    pub fn text(&self, name: &str) -> Option<&str> {
        self.0.get(name).and_then(Value::as_str)
    }

    pub fn sub(&self) -> &str {
        self.text("sub").unwrap_or_default()
    }

    /// `email_verified` as the provider sent it (`"true"` as a string is read as true too).
    pub fn email_verified(&self) -> Option<bool> {
        match self.0.get("email_verified")? {
            Value::Bool(b) => Some(*b),
            Value::String(s) => Some(s == "true"),
            _ => Some(false),
        }
    }
}

fn check_claims(claims: Claims, expect: &Expect) -> Result<Claims, TokenError> {
    let found = claims.text("iss").unwrap_or_default();
    if found != expect.issuer {
        return Err(TokenError::Issuer { expected: expect.issuer.to_string(), found: found.to_string() });
    }
    let audiences: Vec<&str> = match claims.0.get("aud") {
        Some(Value::String(aud)) => vec![aud],
        Some(Value::Array(list)) => list.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    };
    let azp = claims.text("azp");
    if !audiences.contains(&expect.client_id)
        || (audiences.len() > 1 && azp.is_none())
        || azp.is_some_and(|azp| azp != expect.client_id)
    {
        return Err(TokenError::Audience);
    }
    let number = |name| claims.0.get(name).and_then(Value::as_i64);
    match number("exp") {
        Some(exp) if exp + SKEW > expect.now => {}
        Some(_) => return Err(TokenError::Expired),
        None => return Err(TokenError::Malformed("no exp")),
    }
    match number("iat") {
        Some(iat) if iat <= expect.now + SKEW => {}
        Some(_) => return Err(TokenError::IssuedInFuture),
        None => return Err(TokenError::Malformed("no iat")),
    }
    let nonce = claims.text("nonce").unwrap_or_default();
    if !super::session::same(nonce.as_bytes(), expect.nonce.as_bytes()) {
        return Err(TokenError::Nonce);
    }
    if claims.sub().is_empty() {
        return Err(TokenError::Malformed("no sub"));
    }
    Ok(claims)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ring::rand::SystemRandom;
    use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
    use serde_json::json;

    const NOW: i64 = 1_800_000_000;
    const ISSUER: &str = "http://127.0.0.1:9999";

    struct Signer {
        pair: EcdsaKeyPair,
        kid: &'static str,
    }

    impl Signer {
        fn new(kid: &'static str) -> Signer {
            let rng = SystemRandom::new();
            let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
            let pair =
                EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng).unwrap();
            Signer { pair, kid }
        }

        fn jwk(&self) -> Value {
            let point = self.pair.public_key().as_ref();
            json!({"kty": "EC", "crv": "P-256", "kid": self.kid, "use": "sig",
                   "x": URL_SAFE_NO_PAD.encode(&point[1..33]), "y": URL_SAFE_NO_PAD.encode(&point[33..])})
        }

        fn sign(&self, header: Value, claims: &Value) -> String {
            let signed = format!("{}.{}", b64(&header), b64(claims));
            let signature = self.pair.sign(&SystemRandom::new(), signed.as_bytes()).unwrap();
            format!("{signed}.{}", URL_SAFE_NO_PAD.encode(signature.as_ref()))
        }

        fn token(&self, claims: &Value) -> String {
            self.sign(json!({"alg": "ES256", "kid": self.kid, "typ": "JWT"}), claims)
        }
    }

    fn b64(value: &Value) -> String {
        URL_SAFE_NO_PAD.encode(value.to_string())
    }

    fn claims() -> Value {
        json!({"iss": ISSUER, "aud": "gate", "sub": "u-1", "email": "alice@example.com",
               "email_verified": true, "nonce": "n-123", "iat": NOW - 5, "exp": NOW + 300})
    }

    fn with(changes: Value) -> Value {
        let mut claims = claims();
        for (key, value) in changes.as_object().unwrap() {
            if value.is_null() {
                claims.as_object_mut().unwrap().remove(key);
            } else {
                claims[key] = value.clone();
            }
        }
        claims
    }

    fn expect() -> Expect<'static> {
        Expect { issuer: ISSUER, client_id: "gate", nonce: "n-123", now: NOW }
    }

    fn verify(token: &str, keys: &JwkSet) -> Result<Claims, TokenError> {
        Unverified::decode(token)?.verify(keys, &expect())
    }

    /// An RSA public key (2048 bits, e = 65537) and a token it signed, made with openssl once:
    /// ring verifies RSA but cannot make RSA keys.
    const RSA_N: &str = include_str!("testdata/rsa-n.txt");
    const RSA_TOKEN: &str = include_str!("testdata/rsa-token.txt");

    fn rsa_keys(kid: &str) -> JwkSet {
        JwkSet::parse(
            &json!({"keys": [{"kty": "RSA", "kid": kid, "alg": "RS256", "n": RSA_N.trim(), "e": "AQAB"}]}),
        )
    }

    #[test]
    fn good_tokens_verify() {
        let signer = Signer::new("k1");
        let keys = JwkSet::parse(&json!({"keys": [signer.jwk()]}));
        let verified = verify(&signer.token(&claims()), &keys).unwrap();
        assert_eq!(
            (verified.sub(), verified.text("email"), verified.email_verified()),
            ("u-1", Some("alice@example.com"), Some(true))
        );
        // Several audiences need azp naming this client.
        let both = with(json!({"aud": ["gate", "other"], "azp": "gate"}));
        assert!(verify(&signer.token(&both), &keys).is_ok());
        // The RS256 path, with a token signed by openssl.
        let rsa = Unverified::decode(RSA_TOKEN.trim()).unwrap();
        let expect = Expect {
            issuer: "https://issuer.test",
            client_id: "gate",
            nonce: "rsa-nonce",
            now: 1_700_000_100,
        };
        assert_eq!(
            rsa.verify(&rsa_keys("r1"), &expect).map(|c| c.sub().to_string()),
            Ok("rsa-user".to_string())
        );
    }

    #[test]
    fn bad_tokens_are_refused() {
        let signer = Signer::new("k1");
        let keys = JwkSet::parse(&json!({"keys": [signer.jwk()]}));
        let forger = Signer::new("k1");
        let good = signer.token(&claims());
        let (head, rest) = good.split_once('.').unwrap();
        let (payload, _) = rest.split_once('.').unwrap();
        let none = format!("{}.{payload}.", b64(&json!({"alg": "none"})));
        let hs = format!(
            "{}.{payload}.{}",
            b64(&json!({"alg": "HS256", "kid": "k1"})),
            URL_SAFE_NO_PAD.encode([0u8; 32])
        );
        let swapped =
            format!("{head}.{}.{}", b64(&with(json!({"sub": "mallory"}))), good.rsplit('.').next().unwrap());
        let cases: Vec<(&str, String, TokenError)> = vec![
            ("alg none", none, TokenError::Algorithm("none".into())),
            ("alg HS256 (confusion with a public key as secret)", hs, TokenError::Algorithm("HS256".into())),
            ("signed by another key", forger.token(&claims()), TokenError::BadSignature),
            ("payload swapped", swapped, TokenError::BadSignature),
            (
                "unknown kid",
                Signer::new("k2").token(&claims()),
                TokenError::UnknownKey { alg: "ES256", kid: Some("k2".into()) },
            ),
            ("expired", signer.token(&with(json!({"exp": NOW - SKEW - 1}))), TokenError::Expired),
            (
                "issued in the future",
                signer.token(&with(json!({"iat": NOW + SKEW + 10}))),
                TokenError::IssuedInFuture,
            ),
            ("no exp", signer.token(&with(json!({"exp": null}))), TokenError::Malformed("no exp")),
            ("wrong aud", signer.token(&with(json!({"aud": "other"}))), TokenError::Audience),
            (
                "several aud without azp",
                signer.token(&with(json!({"aud": ["gate", "other"]}))),
                TokenError::Audience,
            ),
            ("azp another client", signer.token(&with(json!({"azp": "other"}))), TokenError::Audience),
            (
                "wrong iss",
                signer.token(&with(json!({"iss": "http://evil"}))),
                TokenError::Issuer { expected: ISSUER.into(), found: "http://evil".into() },
            ),
            ("wrong nonce", signer.token(&with(json!({"nonce": "n-456"}))), TokenError::Nonce),
            ("no nonce", signer.token(&with(json!({"nonce": null}))), TokenError::Nonce),
            ("no sub", signer.token(&with(json!({"sub": null}))), TokenError::Malformed("no sub")),
            ("two parts", "a.b".into(), TokenError::Malformed("not three dot-separated parts")),
            (
                "crit",
                signer.sign(json!({"alg": "ES256", "kid": "k1", "crit": ["x"]}), &claims()),
                TokenError::Malformed("critical header extensions are not supported"),
            ),
        ];
        for (name, token, expected) in cases {
            assert_eq!(verify(&token, &keys), Err(expected), "{name}");
        }
        // An ES256 header cannot pick an RSA key, nor RS256 an EC key.
        let rsa_only = rsa_keys("k1");
        assert_eq!(
            verify(&good, &rsa_only),
            Err(TokenError::UnknownKey { alg: "ES256", kid: Some("k1".into()) })
        );
        let rsa = Unverified::decode(RSA_TOKEN.trim()).unwrap();
        let ec_named_r1 = JwkSet::parse(&json!({"keys": [Signer::new("r1").jwk()]}));
        assert!(!rsa.key_known(&ec_named_r1));
        // A JWK that says it is for encryption, or for another algorithm, is not used.
        let mut enc = signer.jwk();
        enc["use"] = json!("enc");
        assert!(JwkSet::parse(&json!({"keys": [enc]})).is_empty());
        let mut other_alg = signer.jwk();
        other_alg["alg"] = json!("ES384");
        assert!(verify(&good, &JwkSet::parse(&json!({"keys": [other_alg]}))).is_err());
    }
}
