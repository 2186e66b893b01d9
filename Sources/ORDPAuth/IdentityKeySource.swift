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
  /// Revocations after `sequence`, and identity's latest sequence number.
  func fetchRevocations(
    after sequence: UInt64
  ) async throws -> (
    entries: [RevocationEntry], latest: UInt64
  )
}
