import Crypto
import Foundation
import JWTKit
import ORDPAuth

/// Identity's token-signing keys: the newest signs, retired ones stay published until every
/// token they signed has expired. Reloaded from the store, so that several identity replicas
/// sign with the key one of them rotated to.
actor SigningKeyRing {
  private let store: any IdentityStore
  /// How long a retired key stays published: the longest access-token lifetime plus leeway.
  private let retention: Micros
  private var records: [SigningKeyRecord] = []
  private var collection = JWTKeyCollection()
  private var loadedAt: ContinuousClock.Instant?

  init(store: any IdentityStore, retention: Micros) {
    self.store = store
    self.retention = retention
  }

  /// The key that signs new tokens.
  var activeKey: SigningKeyRecord? { records.last(where: { $0.retiredAt == nil }) }

  /// Loads the keys; creates the first one when there is none.
  func load(now: Micros) async throws {
    records = try await store.signingKeys()
    if activeKey == nil {
      try await store.addSigningKey(Self.newKey(now: now), audit: nil)
      records = try await store.signingKeys()
    }
    collection = JWTKeyCollection()
    for record in records {
      let key = try Curve25519.Signing.PrivateKey(rawRepresentation: record.privateKey)
      await collection.add(
        eddsa: EdDSA.PrivateKey(backing: key), kid: JWKIdentifier(string: record.id))
    }
    loadedAt = .now
  }

  /// Signs `claims` with the active key.
  func sign(_ claims: AccessTokenClaims, now: Micros) async throws -> String {
    if let loadedAt, ContinuousClock.now - loadedAt > .seconds(30) {
      try await load(now: now)
    }
    guard let active = activeKey else { throw IdentityStoreError.notFound("signing key") }
    return try await collection.sign(claims, kid: JWKIdentifier(string: active.id))
  }

  /// A new key takes over signing; the previous one is retired.
  func rotate(now: Micros, audit: AuditRecord?) async throws -> (new: String, old: String?) {
    let old = activeKey?.id
    let key = Self.newKey(now: now)
    try await store.addSigningKey(key, audit: audit)
    try await store.deleteSigningKeys(retiredBefore: now - retention)
    try await load(now: now)
    return (key.id, old)
  }

  /// Keys that may have signed a still valid token.
  func publishedKeys(now: Micros) -> [SigningKeyRecord] {
    records.filter { record in
      guard let retiredAt = record.retiredAt else { return true }
      return retiredAt + retention > now
    }
  }

  static func newKey(now: Micros) -> SigningKeyRecord {
    let key = Curve25519.Signing.PrivateKey()
    let id =
      "k" + String(now / 1_000_000, radix: 36) + "-" + UUID().uuidString.prefix(8).lowercased()
    return SigningKeyRecord(
      id: id, privateKey: Array(key.rawRepresentation), createdAt: now, retiredAt: nil)
  }
}

extension SigningKeyRecord {
  var publicKey: Curve25519.Signing.PublicKey? {
    try? Curve25519.Signing.PrivateKey(rawRepresentation: privateKey).publicKey
  }
}
