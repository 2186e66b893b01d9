import Crypto
import Foundation
import JWTKit
import ORDPAuth
import ORDPRPC
import ORDPTestSupport
import Synchronization
import Testing

/// An in-memory identity for the verifier: keys and revocations the test controls.
final class FakeKeySource: IdentityKeySource {
  let state = Mutex<
    (keys: [VerificationKey], revocations: [RevocationEntry], fail: Bool, keyFetches: Int)
  >(
    ([], [], false, 0))

  func fetchKeys() async throws -> [VerificationKey] {
    try state.withLock {
      if $0.fail { throw RPCError(.unavailable, "identity down") }
      $0.keyFetches += 1
      return $0.keys
    }
  }

  /// Entries per page, as identity pages them (small, so that tests page).
  static let pageSize = 2

  func fetchRevocations(after sequence: UInt64) async throws -> RevocationPage {
    try state.withLock {
      if $0.fail { throw RPCError(.unavailable, "identity down") }
      let after = $0.revocations.filter { $0.sequence > sequence }.sorted {
        $0.sequence < $1.sequence
      }
      let page = Array(after.prefix(Self.pageSize))
      let more = after.count > Self.pageSize
      return RevocationPage(
        entries: page,
        latest: more ? page.last!.sequence : ($0.revocations.map(\.sequence).max() ?? 0),
        more: more)
    }
  }
}

/// A clock the test moves.
final class TestClock: Sendable {
  let seconds = Mutex<Double>(1_800_000_000)
  var now: Double { seconds.withLock { $0 } }
  func advance(_ by: Double) { seconds.withLock { $0 += by } }
}

@Suite struct VerifierUnitTests {
  let key = Curve25519.Signing.PrivateKey()
  let source = FakeKeySource()
  let clock = TestClock()

  func makeVerifier(staleness: Duration? = nil) -> AccessTokenVerifier {
    var configuration = AccessTokenVerifier.Configuration(issuer: "iss", audience: "ordp")
    configuration.revocationStalenessLimit = staleness
    configuration.keyRefreshInterval = .zero
    let clock = self.clock
    return AccessTokenVerifier(configuration: configuration, source: source, now: { clock.now })
  }

  func token(
    jti: String = "t1", sid: String = "s1", lifetime: Double = 300, kid: String = "k1",
    signer: Curve25519.Signing.PrivateKey? = nil
  ) async throws -> String {
    let now = clock.now
    let claims = AccessTokenClaims(
      iss: "iss", aud: .init(value: ["ordp"]), sub: "user:u1",
      iat: .init(value: Date(timeIntervalSince1970: now)),
      nbf: .init(value: Date(timeIntervalSince1970: now)),
      exp: .init(value: Date(timeIntervalSince1970: now + lifetime)), jti: .init(value: jti),
      sid: sid, name: "anna", kind: .user, orgs: [.init(id: "soest", role: .editor)],
      scope: "catalogue:read catalogue:write", padm: nil)
    let keys = JWTKeyCollection()
    await keys.add(
      eddsa: EdDSA.PrivateKey(backing: signer ?? key), kid: JWKIdentifier(string: kid))
    return try await keys.sign(claims, kid: JWKIdentifier(string: kid))
  }

  func publishKey() {
    source.state.withLock { $0.keys = [VerificationKey(keyID: "k1", publicKey: key.publicKey)] }
  }

  @Test func verifiesAndExtractsThePrincipal() async throws {
    publishKey()
    let verifier = makeVerifier()
    let principal = try await verifier.verify(try await token())
    #expect(principal.subject == "user:u1" && principal.id == "u1")
    #expect(principal.memberships == ["soest": .editor])
    #expect(principal.may(.catalogueWrite, in: "soest"))
    #expect(!principal.may(.catalogueWrite, in: "olpe"))
    #expect(!principal.isAdmin(of: "soest"))
  }

  @Test func cachedTokensStillExpireAndGetRevoked() async throws {
    publishKey()
    let verifier = makeVerifier()
    let token = try await token(lifetime: 60)
    _ = try await verifier.verify(token)
    #expect(verifier.cachedTokens == 1)
    let fetchesBefore = source.state.withLock { $0.keyFetches }
    _ = try await verifier.verify(token)
    #expect(source.state.withLock { $0.keyFetches } == fetchesBefore)

    source.state.withLock {
      $0.revocations = [
        RevocationEntry(sequence: 1, kind: .session, value: "s1", expiresAt: clock.now + 600)
      ]
    }
    _ = try await verifier.verify(token)  // not synchronised yet
    try await verifier.syncRevocations()
    await #expect(throws: RPCError(.unauthenticated, "access token has been revoked")) {
      try await verifier.verify(token)
    }
    let other = try await self.token(jti: "t2", sid: "s2", lifetime: 60)
    _ = try await verifier.verify(other)
    clock.advance(60 + 31)  // past expiry and the 30 s leeway
    await #expect(throws: RPCError(.unauthenticated, "access token expired")) {
      try await verifier.verify(other)
    }
  }

  @Test func unknownKeysAreFetchedAndStaleRevocationsFailClosed() async throws {
    let verifier = makeVerifier(staleness: .milliseconds(500))
    let token = try await token()
    // No keys published yet.
    await #expect(throws: RPCError(.unauthenticated, "access token signed with unknown key k1")) {
      try await verifier.verify(token)
    }
    publishKey()
    // The first use synchronised the revocations; now the key is fetched (the revocations
    // synchronised again, so that a loaded machine's pause cannot make them stale here).
    try await verifier.syncRevocations()
    _ = try await verifier.verify(token)
    source.state.withLock { $0.fail = true }
    try await Task.sleep(for: .milliseconds(600))
    await #expect(throws: RPCError.self) { try await verifier.syncRevocations() }
    await #expect(
      throws: RPCError(
        .unavailable, "cannot check access tokens: revocations from identity are out of date")
    ) {
      try await verifier.verify(token)
    }
  }

  @Test func revocationListStartsOverWhenIdentityWasReset() {
    var list = RevocationList()
    let first = list.apply(
      [RevocationEntry(sequence: 5, kind: .tokenID, value: "a", expiresAt: 100)], latest: 5)
    #expect(first)
    #expect(list.isRevoked(tokenID: "a", sessionID: "x"))
    let reset = list.apply([], latest: 2)
    #expect(!reset)
    #expect(list.latestSequence == 0 && list.count == 0)
    let again = list.apply(
      [RevocationEntry(sequence: 1, kind: .session, value: "s", expiresAt: 50)], latest: 2)
    #expect(again)
    #expect(list.latestSequence == 2)
    list.prune(now: 60)
    #expect(list.count == 0)
  }

  @Test func revocationsArriveInPagesAndAVerifierCatchesUpInOneSync() async throws {
    publishKey()
    let verifier = makeVerifier()
    let token = try await token(sid: "s5")
    _ = try await verifier.verify(token)
    source.state.withLock {
      $0.revocations = (1...5).map {
        RevocationEntry(sequence: $0, kind: .session, value: "s\($0)", expiresAt: clock.now + 600)
      }
    }
    // Identity answers two per page (FakeKeySource.pageSize); the fifth is on the third page.
    try await verifier.syncRevocations()
    await #expect(throws: RPCError(.unauthenticated, "access token has been revoked")) {
      try await verifier.verify(token)
    }
  }

  @Test func aKeyIdentityNoLongerPublishesStopsVerifyingCachedTokensToo() async throws {
    let retired = Curve25519.Signing.PrivateKey()
    source.state.withLock {
      $0.keys = [
        VerificationKey(keyID: "k1", publicKey: key.publicKey),
        VerificationKey(keyID: "old", publicKey: retired.publicKey),
      ]
    }
    let verifier = makeVerifier()
    let oldToken = try await token(jti: "t-old", kid: "old", signer: retired)
    let newToken = try await token(jti: "t-new")
    _ = try await verifier.verify(oldToken)
    _ = try await verifier.verify(newToken)
    #expect(verifier.cachedTokens == 2)
    // The rotation's retention passed: identity publishes only the new key.
    publishKey()
    try await verifier.refreshKeys()
    await #expect(throws: RPCError(.unauthenticated, "access token signed with retired key old")) {
      try await verifier.verify(oldToken)
    }
    _ = try await verifier.verify(newToken)
  }

  @Test func aTokenOfAKeyJustRotatedToWaitsForTheNextFetchInsteadOfBeingRefused() async throws {
    var configuration = AccessTokenVerifier.Configuration(issuer: "iss", audience: "ordp")
    configuration.revocationStalenessLimit = nil
    configuration.keyRefreshInterval = .milliseconds(300)
    let clock = self.clock
    let verifier = AccessTokenVerifier(
      configuration: configuration, source: source, now: { clock.now })
    publishKey()
    _ = try await verifier.verify(try await token())  // fetched k1 just now
    // Identity rotates to k2 and signs a token with it, within the refresh interval.
    let rotated = Curve25519.Signing.PrivateKey()
    source.state.withLock {
      $0.keys.append(VerificationKey(keyID: "k2", publicKey: rotated.publicKey))
    }
    let fresh = try await token(jti: "t2", kid: "k2", signer: rotated)
    #expect(try await verifier.verify(fresh).subject == "user:u1")

    // Forged key ids, many at once: one fetch for all of them, then each is refused.
    let before = source.state.withLock { $0.keyFetches }
    let forged = try await token(jti: "t3", kid: "forged", signer: Curve25519.Signing.PrivateKey())
    let refused = await withTaskGroup(of: Bool.self) { group in
      for _ in 0..<20 { group.addTask { (try? await verifier.verify(forged)) == nil } }
      return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
    }
    #expect(refused == 20)
    #expect(source.state.withLock { $0.keyFetches } - before <= 2)
  }

  @Test func runResynchronisesTheKeysWithinItsInterval() async throws {
    let retired = Curve25519.Signing.PrivateKey()
    source.state.withLock {
      $0.keys = [VerificationKey(keyID: "old", publicKey: retired.publicKey)]
    }
    var configuration = AccessTokenVerifier.Configuration(issuer: "iss", audience: "ordp")
    configuration.revocationStalenessLimit = nil
    configuration.keySyncInterval = .milliseconds(50)
    configuration.revocationSyncInterval = .milliseconds(10)
    let clock = self.clock
    let verifier = AccessTokenVerifier(
      configuration: configuration, source: source, now: { clock.now })
    let oldToken = try await token(kid: "old", signer: retired)
    let running = Task { try await verifier.run() }
    defer { running.cancel() }
    _ = try await verifier.verify(oldToken)
    publishKey()
    var refused = false
    for _ in 0..<100 where !refused {
      try await Task.sleep(for: .milliseconds(20))
      refused = (try? await verifier.verify(oldToken)) == nil
    }
    #expect(refused)
  }

  @Test func aSubjectRevocationEndsTheTokensIssuedBeforeIt() async throws {
    publishKey()
    let verifier = makeVerifier()
    let before = try await token(jti: "before")
    clock.advance(1)
    source.state.withLock {
      $0.revocations = [
        RevocationEntry(
          sequence: 1, kind: .subject, value: "user:u1", expiresAt: clock.now + 600,
          revokedAt: clock.now)
      ]
    }
    clock.advance(0.001)
    let after = try await token(jti: "after")
    try await verifier.syncRevocations()
    await #expect(throws: RPCError(.unauthenticated, "access token has been revoked")) {
      try await verifier.verify(before)
    }
    #expect(try await verifier.verify(after).tokenID == "after")
  }
}
