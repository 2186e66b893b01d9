public import Crypto

/// One of identity's token-signing keys, public part.
public struct VerificationKey: Sendable {
  public var keyID: String
  public var publicKey: Curve25519.Signing.PublicKey

  public init(keyID: String, publicKey: Curve25519.Signing.PublicKey) {
    self.keyID = keyID
    self.publicKey = publicKey
  }
}

/// Where a verifier gets identity's public keys and revocations from: over ORDP/1 from the
/// identity service (`RemoteIdentityKeySource`), or in-process inside identity itself.
public protocol IdentityKeySource: Sendable {
  /// All keys that may have signed a still valid token.
  func fetchKeys() async throws -> [VerificationKey]
  /// Revocations after `sequence` (one page of them), the sequence they cover up to, and
  /// whether more follow.
  func fetchRevocations(after sequence: UInt64) async throws -> RevocationPage
}

/// One page of revocations as identity publishes them.
public struct RevocationPage: Sendable {
  public var entries: [RevocationEntry]
  /// The sequence the page covers up to: identity's latest, or the last entry's when `more`.
  public var latest: UInt64
  /// Entries after `latest` were left out: ask again at once.
  public var more: Bool

  public init(entries: [RevocationEntry], latest: UInt64, more: Bool = false) {
    self.entries = entries
    self.latest = latest
    self.more = more
  }
}
