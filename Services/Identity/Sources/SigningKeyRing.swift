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

  /// Loads the keys; creates the first one when there is none. The new key set is built
  /// aside and takes the old one's place in one step: the actor runs other calls while this
  /// one waits, and a `sign` in between sees the old set or the new one, never a collection
  /// that is still being filled.
  func load(now: Micros) async throws {
    var loaded = try await store.signingKeys()
    if !loaded.contains(where: { $0.retiredAt == nil }) {
      try await store.addSigningKey(Self.newKey(now: now), audit: nil)
      loaded = try await store.signingKeys()
    }
    let fresh = JWTKeyCollection()
    for record in loaded {
      let key = try Curve25519.Signing.PrivateKey(rawRepresentation: record.privateKey)
      await fresh.add(eddsa: EdDSA.PrivateKey(backing: key), kid: JWKIdentifier(string: record.id))
    }
    records = loaded
    collection = fresh
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
