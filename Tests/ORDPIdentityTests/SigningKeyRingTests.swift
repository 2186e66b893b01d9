import Foundation
import ORDPAuth
import Testing

@testable import ORDPIdentity

/// The signing keys are reloaded while tokens are signed (every 30 s, and on rotation).
@Suite struct SigningKeyRingTests {
  @Test func signingWhileTheKeysReloadAlwaysFindsAWholeKeySet() async throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
      "ordp-keyring-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: directory) }
    let store = try SQLiteIdentityStore(directory: directory)
    let ring = SigningKeyRing(store: store, retention: 3_600_000_000)
    let now: Micros = 1_800_000_000_000_000
    // Many keys (a busy history of rotations), so a reload has many to add.
    for step in 0..<30 {
      try await store.addSigningKey(SigningKeyRing.newKey(now: now + Int64(step)), audit: nil)
    }
    try await ring.load(now: now)
    let claims = AccessTokenClaims(
      iss: "ordp-identity", aud: .init(value: ["ordp"]), sub: "user:u",
      iat: .init(value: Date()), nbf: .init(value: Date()),
      exp: .init(value: Date().addingTimeInterval(300)), jti: "j", sid: "s", name: "u",
      kind: .user, orgs: [], scope: "", padm: nil)
    let failures = try await withThrowingTaskGroup(of: Int.self) { group in
      group.addTask {
        for _ in 0..<50 { try await ring.load(now: now) }
        return 0
      }
      for _ in 0..<8 {
        group.addTask {
          var failed = 0
          for _ in 0..<200 {
            do { _ = try await ring.sign(claims, now: now) } catch { failed += 1 }
          }
          return failed
        }
      }
      return try await group.reduce(0, +)
    }
    #expect(failures == 0)
  }
}
