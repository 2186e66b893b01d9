import ORDPAuth

/// Identity's own verifier reads keys and revocations straight from its store.
struct LocalKeySource: IdentityKeySource {
  let store: any IdentityStore
  let keys: SigningKeyRing
  let clock: @Sendable () -> Micros

  func fetchKeys() async throws -> [VerificationKey] {
    await keys.publishedKeys(now: clock()).compactMap { record in
      record.publicKey.map { VerificationKey(keyID: record.id, publicKey: $0) }
    }
  }

  func fetchRevocations(after sequence: UInt64) async throws -> RevocationPage {
    try await store.revocations(
      after: Int64(clamping: sequence), now: clock(), limit: IdentityService.revocationPageSize)
  }
}
